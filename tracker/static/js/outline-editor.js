// The outline editor of the plan import preview and the outline page.
// Reads the outline from <script type="application/json" id="outline-data">, edits it as a
// flat list of rows with levels (indent, outdent, join, split, heading/measure, delete, move),
// and writes it back, nested again, into the hidden outline_json field when the form is sent.
// Without this file the page shows the parsed outline and "save" keeps it as parsed.
(function () {
  "use strict";

  // ----- import form: show that a long upload is on its way
  var importForm = document.getElementById("import-form");
  if (importForm) {
    importForm.addEventListener("submit", function () {
      var busy = document.getElementById("import-busy");
      var button = document.getElementById("preview-button");
      var bar = document.getElementById("upload-progress");
      if (busy) {
        busy.querySelector(".busy-text").textContent = importForm.getAttribute("data-busy-text") || "";
        busy.classList.remove("hidden");
      }
      if (bar) {
        bar.removeAttribute("value"); // indeterminate
        bar.classList.remove("hidden");
      }
      if (button) {
        // disable after the submit has started so the button's own value is still sent
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }

  var root = document.getElementById("outline-editor");
  var dataNode = document.getElementById("outline-data");
  var form = document.getElementById("save-form");
  if (!root || !dataNode || !form) {
    return;
  }
  var data;
  try {
    data = JSON.parse(dataNode.textContent);
  } catch (e) {
    return; // keep the static outline
  }
  if (!data || !Array.isArray(data.plans)) {
    return;
  }
  var mode = root.getAttribute("data-mode") || "import";
  var inUse = {};
  try {
    (JSON.parse(root.getAttribute("data-in-use") || "[]") || []).forEach(function (id) { inUse[id] = true; });
  } catch (e) { /* nothing in use */ }

  function label(name) {
    return root.getAttribute("data-label-" + name) || name;
  }
  function msg(name) {
    return root.getAttribute("data-msg-" + name) || name;
  }

  // ----- model: each plan holds a flat list of rows in document order
  var RESERVED = { children: true };

  function flatten(items, level, out) {
    (items || []).forEach(function (item) {
      var row = {};
      Object.keys(item).forEach(function (key) {
        if (!RESERVED[key]) { row[key] = item[key]; }
      });
      row.level = level;
      row.kind = row.kind === "heading" ? "heading" : "measure";
      row.number = row.number == null ? "" : String(row.number);
      row.text = row.text == null ? "" : String(row.text);
      out.push(row);
      flatten(item.children, level + 1, out);
    });
    return out;
  }

  function nest(rows) {
    var roots = [];
    var stack = [];
    rows.forEach(function (row) {
      var item = {};
      Object.keys(row).forEach(function (key) { item[key] = row[key]; });
      item.children = [];
      while (stack.length && stack[stack.length - 1].level >= item.level) { stack.pop(); }
      item.level = stack.length + 1;
      (stack.length ? stack[stack.length - 1].children : roots).push(item);
      stack.push(item);
    });
    return roots;
  }

  // a level may be at most one deeper than the row above, and at least 1
  function normalize(rows) {
    var prev = 0;
    rows.forEach(function (row) {
      if (row.level > prev + 1) { row.level = prev + 1; }
      if (row.level < 1) { row.level = 1; }
      prev = row.level;
    });
  }

  function subtreeEnd(rows, i) {
    var j = i + 1;
    while (j < rows.length && rows[j].level > rows[i].level) { j++; }
    return j;
  }

  var plans = data.plans.map(function (plan) {
    var copy = {};
    Object.keys(plan).forEach(function (key) { if (key !== "items") { copy[key] = plan[key]; } });
    copy.rows = flatten(plan.items, 1, []);
    return copy;
  });

  // ----- operations
  var ops = {
    indent: function (rows, i) {
      if (i === 0 || rows[i - 1].level < rows[i].level) { window.alert(msg("no-indent")); return false; }
      var end = subtreeEnd(rows, i);
      for (var k = i; k < end; k++) { rows[k].level += 1; }
      return true;
    },
    outdent: function (rows, i) {
      if (rows[i].level <= 1) { return false; }
      var end = subtreeEnd(rows, i);
      for (var k = i; k < end; k++) { rows[k].level -= 1; }
      return true;
    },
    join: function (rows, i) {
      if (i === 0) { window.alert(msg("no-join")); return false; }
      var row = rows[i];
      if (row.id && inUse[row.id]) { window.alert(msg("in-use")); return false; }
      var above = rows[i - 1];
      var joined = row.number ? row.number + (/[）)]$/.test(row.number) ? "" : "、") + row.text : row.text;
      above.text = above.text + joined;
      if (row.end_line != null && (above.end_line == null || row.end_line > above.end_line)) {
        above.end_line = row.end_line;
      }
      rows.splice(i, 1);
      return true;
    },
    split: function (rows, i, cursor) {
      var row = rows[i];
      if (cursor == null || cursor <= 0 || cursor >= row.text.length) { window.alert(msg("no-split")); return false; }
      var rest = row.text.slice(cursor).replace(/^\s+/, "");
      row.text = row.text.slice(0, cursor).replace(/\s+$/, "");
      var fresh = { number: "", text: rest, level: row.level, kind: "measure" };
      if (row.start_line != null) { fresh.start_line = row.end_line != null ? row.end_line : row.start_line; }
      if (row.end_line != null) { fresh.end_line = row.end_line; }
      rows.splice(i + 1, 0, fresh);
      return true;
    },
    kind: function (rows, i) {
      rows[i].kind = rows[i].kind === "heading" ? "measure" : "heading";
      return true;
    },
    remove: function (rows, i) {
      var end = subtreeEnd(rows, i);
      for (var k = i; k < end; k++) {
        if (rows[k].id && inUse[rows[k].id]) { window.alert(msg("in-use")); return false; }
      }
      if (!window.confirm(msg("confirm-delete"))) { return false; }
      rows.splice(i, end - i);
      return true;
    },
    up: function (rows, i) {
      var level = rows[i].level;
      var k = i - 1;
      while (k >= 0 && rows[k].level > level) { k--; }
      if (k < 0 || rows[k].level !== level) { return false; }
      var end = subtreeEnd(rows, i);
      var block = rows.splice(i, end - i);
      Array.prototype.splice.apply(rows, [k, 0].concat(block));
      return true;
    },
    down: function (rows, i) {
      var level = rows[i].level;
      var end = subtreeEnd(rows, i);
      if (end >= rows.length || rows[end].level !== level) { return false; }
      var nextEnd = subtreeEnd(rows, end);
      var block = rows.splice(i, end - i);
      Array.prototype.splice.apply(rows, [nextEnd - block.length, 0].concat(block));
      return true;
    }
  };

  // ----- rendering
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text != null) { node.textContent = text; }
    return node;
  }

  function button(op, text, title) {
    var b = el("button", "btn btn-small eop eop-" + op, text);
    b.type = "button";
    b.setAttribute("data-op", op);
    b.title = title || text;
    return b;
  }

  // what the parser doubts of a row: the keys it marked, and "item" below the confidence threshold
  var doubtBelow = parseFloat(root.getAttribute("data-doubt-below") || "0");
  function doubts(row) {
    var found = {};
    (Array.isArray(row.doubtful) ? row.doubtful : []).forEach(function (key) { found[key] = true; });
    if (typeof row.confidence === "number" && row.confidence < doubtBelow) { found.item = true; }
    return found;
  }

  // unit names that match no unit of the directory (the import preview says which)
  var unmatched = {};
  try {
    (JSON.parse(root.getAttribute("data-unmatched") || "[]") || []).forEach(function (name) { unmatched[name] = true; });
  } catch (e) { /* none marked */ }

  function tags(row) {
    var box = el("span", "etags");
    var doubt = doubts(row);
    function tag(key, cls, text) {
      var unit = key === "lead_units" || key === "units" || key === "support_units";
      box.appendChild(el("span", "tag " + cls + (doubt[key] ? " tag-doubtful" : "") +
                         (unit && unmatched[text] ? " tag-unmatched" : ""), text));
    }
    ["lead_units", "units", "support_units", "quantities"].forEach(function (key) {
      (row[key] || []).forEach(function (value) { tag(key, "tag-" + key, value); });
    });
    (row.leaders || []).forEach(function (value) { tag("leaders", "tag-leader", value); });
    if (row.deadline || row.deadline_text) { tag("deadline", "tag-deadline", row.deadline || row.deadline_text); }
    if (row.period) { tag("period", "tag-period", label("period-" + row.period)); }
    return box;
  }

  function metaInput(plan, key, name, type) {
    var wrap = el("div", "field");
    var id = "plan-" + plans.indexOf(plan) + "-" + key;
    var lab = el("label", null, label(name));
    lab.htmlFor = id;
    var input = el("input");
    input.id = id;
    input.type = type || "text";
    input.value = plan[key] || "";
    input.addEventListener("input", function () { plan[key] = input.value; });
    wrap.appendChild(lab);
    wrap.appendChild(input);
    return wrap;
  }

  function renderRow(plan, rows, i) {
    var row = rows[i];
    var li = el("div", "erow elevel-" + Math.min(row.level, 9) + (row.kind === "heading" ? " erow-heading" : ""));
    li.setAttribute("data-index", String(i));
    var number = el("input", "enumber");
    number.value = row.number;
    number.maxLength = 20;
    number.setAttribute("aria-label", label("number"));
    number.addEventListener("input", function () { row.number = number.value; });
    var text = el("textarea", "etext");
    text.value = row.text;
    text.rows = Math.min(6, Math.max(1, Math.ceil(row.text.length / 60)));
    text.setAttribute("aria-label", label("text"));
    text.addEventListener("input", function () { row.text = text.value; });
    text.addEventListener("focus", function () { highlight(row); });
    var head = el("div", "ehead");
    head.appendChild(number);
    head.appendChild(text);
    li.appendChild(head);
    var bar = el("div", "ebar");
    bar.appendChild(button("outdent", "←", label("outdent")));
    bar.appendChild(button("indent", "→", label("indent")));
    bar.appendChild(button("up", "↑", label("up")));
    bar.appendChild(button("down", "↓", label("down")));
    bar.appendChild(button("join", label("join")));
    bar.appendChild(button("split", label("split")));
    bar.appendChild(button("kind", row.kind === "heading" ? label("measure") : label("heading")));
    var del = button("remove", label("delete"));
    del.className += " btn-danger";
    bar.appendChild(del);
    if (row.kind === "heading") { bar.appendChild(el("span", "badge", msg("kind-heading"))); }
    if (row.id && inUse[row.id]) { bar.appendChild(el("span", "badge badge-assigned", label("in-use"))); }
    if (Object.keys(doubts(row)).length) {
      li.className += " erow-doubtful";
      doubtCount += 1;
      li.id = "doubt-" + doubtCount;
      bar.appendChild(el("span", "badge badge-doubt", label("doubt")));
    }
    bar.appendChild(tags(row));
    li.appendChild(bar);
    return li;
  }

  // the rows the parser doubts are numbered doubt-1, doubt-2… like the static tree's items, which
  // give up their ids to the editor (the summary's links jump to the editor's rows)
  var doubtCount = 0;
  document.querySelectorAll("#outline-static [id^='doubt-']").forEach(function (node) { node.removeAttribute("id"); });

  function render() {
    var focusIndex = null;
    doubtCount = 0;
    root.textContent = "";
    plans.forEach(function (plan, p) {
      var block = el("div", "plan-block eplan");
      block.setAttribute("data-plan", String(p));
      if (mode === "import") {
        var meta = el("div", "form-row emeta");
        meta.appendChild(metaInput(plan, "title", "title"));
        meta.appendChild(metaInput(plan, "doc_number", "doc-number"));
        meta.appendChild(metaInput(plan, "issuer", "issuer"));
        meta.appendChild(metaInput(plan, "date", "date", "date"));
        block.appendChild(meta);
      }
      var list = el("div", "erows");
      plan.rows.forEach(function (row, i) { list.appendChild(renderRow(plan, plan.rows, i)); });
      block.appendChild(list);
      root.appendChild(block);
    });
    return focusIndex;
  }

  function focusRow(p, i) {
    var block = root.querySelector('[data-plan="' + p + '"]');
    if (!block) { return; }
    var rows = block.querySelectorAll(".erow");
    var target = rows[Math.max(0, Math.min(i, rows.length - 1))];
    if (target) { target.querySelector(".etext").focus(); }
  }

  root.addEventListener("click", function (event) {
    var b = event.target.closest ? event.target.closest("button[data-op]") : null;
    if (!b) { return; }
    var rowNode = b.closest(".erow");
    var planNode = b.closest(".eplan");
    var p = Number(planNode.getAttribute("data-plan"));
    var i = Number(rowNode.getAttribute("data-index"));
    var op = b.getAttribute("data-op");
    var rows = plans[p].rows;
    var cursor = null;
    if (op === "split") {
      var area = rowNode.querySelector(".etext");
      cursor = lastCursor.node === area ? lastCursor.pos : null;
    }
    if (ops[op](rows, i, cursor)) {
      normalize(rows);
      render();
      var next = op === "join" ? i - 1 : op === "split" ? i + 1 : op === "up" ? Math.max(0, i - 1) : i;
      if (op === "down") { next = Math.min(rows.length - 1, i + 1); }
      if (rows.length) { focusRow(p, next); }
    }
  });

  // remember where the cursor was in a text box before a button took the focus
  var lastCursor = { node: null, pos: null };
  root.addEventListener("focusout", function (event) {
    if (event.target.classList && event.target.classList.contains("etext")) {
      lastCursor = { node: event.target, pos: event.target.selectionStart };
    }
  });

  // ----- the source beside the outline
  var lastLit = [];
  function highlight(row) {
    lastLit.forEach(function (node) { node.classList.remove("focus"); });
    lastLit = [];
    if (row.start_line == null) { return; }
    var end = row.end_line != null ? row.end_line : row.start_line;
    for (var n = row.start_line; n <= end; n++) {
      var line = document.getElementById("src-" + n);
      if (line) { line.classList.add("focus"); lastLit.push(line); }
    }
    var first = document.getElementById("src-" + row.start_line);
    var pane = document.getElementById("source-pane");
    if (first && pane) { pane.scrollTop = first.offsetTop - pane.offsetTop - 40; }
  }

  // ----- send
  form.addEventListener("submit", function (event) {
    for (var p = 0; p < plans.length; p++) {
      for (var i = 0; i < plans[p].rows.length; i++) {
        if (!plans[p].rows[i].text.trim()) {
          event.preventDefault();
          window.alert(msg("empty"));
          focusRow(p, i);
          return;
        }
      }
    }
    var out;
    if (mode === "plan") {
      out = { items: nest(plans[0] ? plans[0].rows : []) };
    } else {
      out = {
        plans: plans.map(function (plan) {
          var copy = {};
          Object.keys(plan).forEach(function (key) { if (key !== "rows") { copy[key] = plan[key]; } });
          copy.items = nest(plan.rows);
          return copy;
        })
      };
    }
    form.querySelector('input[name="outline_json"]').value = JSON.stringify(out);
  });

  render();
  root.classList.remove("hidden");
  var staticTree = document.getElementById("outline-static");
  if (staticTree) { staticTree.classList.add("hidden"); }
  document.querySelectorAll(".noscript-hint").forEach(function (node) { node.classList.add("hidden"); });
})();
