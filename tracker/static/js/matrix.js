/* The plan matrix: a cell opens its task (one listener for the table, no link per cell). */
(function () {
  "use strict";
  var table = document.querySelector("table.matrix");
  if (!table) { return; }
  var base = table.getAttribute("data-task-url");
  table.addEventListener("click", function (event) {
    var cell = event.target.closest("td[data-t]");
    if (cell) { window.location.href = base + cell.getAttribute("data-t"); }
  });
})();
