// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // <form data-confirm="..."> and <button data-confirm="..."> ask before submitting
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // <select data-autosubmit> submits its form on change (filters)
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-autosubmit]")) {
      event.target.form.submit();
    }
  });
  // <input type="checkbox" data-check-all="name"> toggles all checkboxes of that name
  document.addEventListener("click", function (event) {
    var box = event.target;
    if (box.matches && box.matches("[data-check-all]")) {
      var name = box.getAttribute("data-check-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    }
  });
})();
