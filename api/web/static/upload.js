/* Progressive upload for /scans: drop files on the frame, send them one by one with a
   progress bar each. Without this script the form still posts all files at once. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) { return; }
  var input = document.getElementById("files");
  var drop = document.getElementById("drop");
  var list = document.getElementById("upload-progress");
  var results = document.getElementById("upload-results");
  var hint = document.getElementById("drop-hint");

  function showChosen() {
    var n = input.files ? input.files.length : 0;
    hint.textContent = n ? "Обрано файлів: " + n + "." : "Або перетягніть файли в цю рамку.";
  }
  input.addEventListener("change", showChosen);
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      showChosen();
    }
  });

  function append(html) {
    var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    var box = doc.body.firstChild;
    while (box.firstChild) { results.appendChild(document.importNode(box.firstChild, true)); box.removeChild(box.firstChild); }
  }

  function sendOne(file, index, done) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    var bar = document.createElement("progress");
    var state = document.createElement("span");
    label.textContent = file.name + " ";
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Завантаження: " + file.name);
    state.textContent = " очікує";
    item.appendChild(label); item.appendChild(bar); item.appendChild(state);
    list.appendChild(item);
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.disabled) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    data.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Cnap-Fragment", "1");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(e.loaded * 100 / e.total);
        state.textContent = e.loaded < e.total ? " " + bar.value + " %" : " обробляється…";
      }
    });
    xhr.addEventListener("load", function () {
      bar.value = 100;
      state.textContent = xhr.status === 200 ? " готово" : " помилка";
      item.className = xhr.status === 200 ? "ok" : "bad";
      if (xhr.status === 401 || xhr.getResponseHeader("content-type") === null) {
        state.textContent = " сесія завершилася — оновіть сторінку й увійдіть";
      } else {
        append(xhr.responseText);
      }
      done();
    });
    xhr.addEventListener("error", function () {
      state.textContent = " зв’язок перервано — спробуйте ще раз";
      item.className = "bad";
      done();
    });
    xhr.send(data);
  }

  function refreshHeld(then) {
    // The parts held by these batches: the list below is brought up to date.
    var xhr = new XMLHttpRequest();
    xhr.open("GET", form.action);
    xhr.addEventListener("load", function () {
      var fresh = new DOMParser().parseFromString(xhr.responseText, "text/html").getElementById("held-section");
      var old = document.getElementById("held-section");
      if (xhr.status === 200 && fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
      then();
    });
    xhr.addEventListener("error", then);
    xhr.send();
  }

  form.addEventListener("submit", function (e) {
    var files = input.files ? Array.prototype.slice.call(input.files) : [];
    // Nothing chosen: the server answers beside the field, as without the script.
    if (!files.length) { return; }
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    list.textContent = "";
    var i = 0;
    (function next() {
      if (i >= files.length) {
        button.disabled = false;
        form.reset();
        showChosen();
        refreshHeld(function () { results.setAttribute("data-done", String(files.length)); });
        return;
      }
      var f = files[i]; i += 1;
      sendOne(f, i, next);
    })();
  });
}());
