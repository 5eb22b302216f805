// Task pages: "select all counties" / "select none" on the assignment page.
(function () {
  "use strict";
  document.querySelectorAll("[data-check-kind]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-check-kind");
      document.querySelectorAll("input[name='unit_id']").forEach(function (box) {
        if (kind === "") {
          box.checked = false;
        } else if (box.getAttribute("data-kind") === kind) {
          box.checked = true;
        }
      });
    });
  });
})();
