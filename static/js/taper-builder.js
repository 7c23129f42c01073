// Taper builder: show only the fieldsets of the chosen strategy. The page works without
// this file (every fieldset is then shown, and the server ignores the others).
(function () {
  "use strict";
  var strategy = document.getElementById("id_strategy");
  var cont = document.getElementById("id_continue_outpatient");
  if (!strategy) { return; }
  function update() {
    var chosen = strategy.value;
    var sets = document.querySelectorAll("fieldset.strategy");
    for (var i = 0; i < sets.length; i++) {
      var kind = sets[i].getAttribute("data-strategy");
      var show = kind === chosen || (kind === "outpatient" && chosen === "inpatient" && cont && cont.checked);
      sets[i].hidden = !show;
    }
  }
  strategy.addEventListener("change", update);
  if (cont) { cont.addEventListener("change", update); }
  update();
})();
