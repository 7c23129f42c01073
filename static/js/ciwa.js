/* Bedside CIWA-B form: live running total and band while items are tapped.
   The page works without this script (plain form post); this only adds feedback. */
(function () {
  "use strict";
  var form = document.getElementById("ciwa-form");
  var live = document.getElementById("ciwa-live");
  if (!form || !live || !form.querySelector("input[name^='item_']")) { return; }

  // "upper:band:Label,..." from the server (ciwa-b.md bands, derived from the domain code).
  var bands = (form.getAttribute("data-bands") || "").split(",").map(function (part) {
    var bits = part.split(":");
    return { upper: parseInt(bits[0], 10), band: bits[1], label: bits[2] };
  });
  var ITEMS = 20;

  function bandFor(total) {
    for (var i = 0; i < bands.length; i++) {
      if (total <= bands[i].upper) { return bands[i]; }
    }
    return null;
  }

  function update() {
    var total = 0, answered = 0;
    for (var n = 1; n <= ITEMS; n++) {
      var checked = form.querySelector("input[name='item_" + n + "']:checked");
      if (checked) { total += parseInt(checked.value, 10); answered += 1; }
    }
    var band = bandFor(total);
    live.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = "Total " + total;
    live.appendChild(strong);
    if (band) {
      var chip = document.createElement("span");
      chip.className = "band-chip band-" + band.band;
      chip.textContent = band.label;
      live.appendChild(document.createTextNode(" "));
      live.appendChild(chip);
    }
    live.appendChild(document.createTextNode(" · " + answered + "/" + ITEMS + " scored"));
  }

  function nextUnanswered(after) {
    for (var n = after + 1; n <= ITEMS; n++) {
      if (!form.querySelector("input[name='item_" + n + "']:checked")) {
        return document.getElementById("id_item_" + n + "-group");
      }
    }
    return null;
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (name.indexOf("item_") !== 0) { return; }
    update();
    // Bring the next unscored item into view so the nurse can keep tapping.
    var next = nextUnanswered(parseInt(name.slice(5), 10));
    if (next && next.scrollIntoView) {
      next.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  });

  // One save per tap: the idempotency key already makes a double submit harmless.
  form.addEventListener("submit", function () {
    var button = document.getElementById("ciwa-save");
    if (button) { window.setTimeout(function () { button.disabled = true; button.textContent = "Saving…"; }, 0); }
  });

  update();
}());
