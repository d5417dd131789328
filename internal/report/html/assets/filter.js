"use strict";
(function () {
  // Open every collapsed section for printing, and close again those it opened.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var ds = document.querySelectorAll("details:not([open])");
    for (var i = 0; i < ds.length; i++) { ds[i].open = true; opened.push(ds[i]); }
  });
  window.addEventListener("afterprint", function () {
    for (var i = 0; i < opened.length; i++) { opened[i].open = false; }
    opened = [];
  });

  // The timeline's filter: a text box, alerts only, and one switch per module.
  var box = document.getElementById("tl-filter");
  var table = document.getElementById("tl");
  if (!box || !table) { return; }
  var q = document.getElementById("tl-q");
  var only = document.getElementById("tl-alerts");
  var count = document.getElementById("tl-count");
  var switches = box.querySelectorAll("input[data-m]");
  var groups = table.tBodies;
  var rows = [];
  for (var g = 0; g < groups.length; g++) {
    var trs = groups[g].querySelectorAll("tr[data-m]");
    for (var r = 0; r < trs.length; r++) {
      rows.push({ el: trs[r], group: g, m: trs[r].getAttribute("data-m"), alert: trs[r].classList.contains("a"), text: trs[r].textContent.toLowerCase() });
    }
  }
  function apply() {
    var text = q.value.trim().toLowerCase();
    var off = {};
    for (var i = 0; i < switches.length; i++) {
      if (!switches[i].checked) { off[switches[i].getAttribute("data-m")] = true; }
    }
    var visible = [], shown = 0;
    for (var k = 0; k < groups.length; k++) { visible.push(0); }
    for (var j = 0; j < rows.length; j++) {
      var row = rows[j];
      var ok = !off[row.m] && (!only.checked || row.alert) && (text === "" || row.text.indexOf(text) >= 0);
      row.el.hidden = !ok;
      if (ok) { shown++; visible[row.group]++; }
    }
    for (var w = 0; w < groups.length; w++) { groups[w].hidden = visible[w] === 0; }
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  function all(on) {
    for (var i = 0; i < switches.length; i++) { switches[i].checked = on; }
    apply();
  }
  box.addEventListener("input", apply);
  box.addEventListener("change", apply);
  document.getElementById("tl-all").addEventListener("click", function () { all(true); });
  document.getElementById("tl-none").addEventListener("click", function () { all(false); });
  box.hidden = false;
  apply();
})();
