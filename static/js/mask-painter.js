/*
 * [data-mask-painter]: paint an inpainting mask over the starting image.
 *
 * The starting image is the gallery one the page names (data-src, with its
 * size in data-width / data-height) or the file chosen in the upload input
 * (data-upload-input). Strokes go on a canvas of the image's own size laid
 * over it (Pointer Events: mouse, pen and touch alike); after each change the
 * mask, white where painted on black, is put into the form's mask file input
 * (data-mask-input) as a PNG, or taken out of it when nothing is painted.
 * A mask file chosen in that input is painted over the picture in place of
 * the strokes (also when the picture comes after it), so what shows is sent;
 * otherwise a new picture starts a new mask.
 * Tools: brush size, brush / eraser, invert, clear. A mask sent before
 * (data-initial-mask, a data: URL) is painted again on load.
 */
(function () {
  "use strict";

  // Strokes show in red over the picture (the canvas is half transparent);
  // the mask sent is white wherever they are.
  var STROKE = "rgb(220, 53, 69)";

  function init(root) {
    var maskInput = document.getElementById(root.dataset.maskInput);
    var uploadInput = document.getElementById(root.dataset.uploadInput);
    var editor = root.querySelector(".mask-editor");
    var stage = root.querySelector(".mask-stage");
    var picture = root.querySelector(".mask-picture");
    var canvas = root.querySelector(".mask-canvas");
    var brush = root.querySelector(".mask-brush");
    var paintButton = root.querySelector(".mask-paint");
    var eraseButton = root.querySelector(".mask-erase");
    var state = root.querySelector(".mask-state");
    var needsImage = root.querySelector(".mask-needs-image");
    var context = canvas.getContext("2d");
    var erasing = false;
    var last = null;
    var painted = false;
    var objectUrl = null;
    var settingFiles = false; // the mask input is being set from the strokes
    var fileChosen = false; // the mask input holds a file the person chose

    function show(src, width, height) {
      canvas.width = width;
      canvas.height = height;
      context.clearRect(0, 0, width, height);
      picture.width = width;
      picture.height = height;
      picture.src = src;
      // As wide as the form allows, and no taller than most of the screen.
      stage.style.width = "min(100%, " + (70 * width) / height + "vh)";
      editor.hidden = false;
      needsImage.hidden = true;
      // A new picture starts a new mask (as in A1111), unless the person
      // chose a mask file for it, maybe before the picture.
      if (!(fileChosen && paintChosenMask())) {
        changed();
      }
    }

    function brushWidth() {
      // The brush is measured on the screen; the canvas may be shown smaller.
      var shown = canvas.getBoundingClientRect().width || canvas.width;
      return Number(brush.value) * (canvas.width / shown);
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - rect.left) * canvas.width) / rect.width,
        y: ((event.clientY - rect.top) * canvas.height) / rect.height,
      };
    }

    function stroke(from, to) {
      context.globalCompositeOperation = erasing ? "destination-out" : "source-over";
      context.strokeStyle = STROKE;
      context.fillStyle = STROKE;
      context.lineWidth = brushWidth();
      context.lineCap = "round";
      context.lineJoin = "round";
      context.beginPath();
      if (from.x === to.x && from.y === to.y) {
        context.arc(to.x, to.y, context.lineWidth / 2, 0, Math.PI * 2);
        context.fill();
      } else {
        context.moveTo(from.x, from.y);
        context.lineTo(to.x, to.y);
        context.stroke();
      }
      context.globalCompositeOperation = "source-over";
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) {
        return;
      }
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      stroke(last, last);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (last === null) {
        return;
      }
      event.preventDefault();
      var next = point(event);
      stroke(last, next);
      last = next;
    });
    function end() {
      if (last !== null) {
        last = null;
        changed();
      }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);

    function setErasing(value) {
      erasing = value;
      paintButton.classList.toggle("active", !value);
      eraseButton.classList.toggle("active", value);
      paintButton.setAttribute("aria-pressed", String(!value));
      eraseButton.setAttribute("aria-pressed", String(value));
    }
    paintButton.addEventListener("click", function () {
      setErasing(false);
    });
    eraseButton.addEventListener("click", function () {
      setErasing(true);
    });

    root.querySelector(".mask-clear").addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      changed();
    });
    root.querySelector(".mask-invert").addEventListener("click", function () {
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var data = image.data;
      for (var i = 0; i < data.length; i += 4) {
        data[i] = 220;
        data[i + 1] = 53;
        data[i + 2] = 69;
        data[i + 3] = 255 - data[i + 3];
      }
      context.putImageData(image, 0, 0);
      changed();
    });

    function anyPainted() {
      var data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (var i = 3; i < data.length; i += 4) {
        if (data[i] >= 128) {
          return true;
        }
      }
      return false;
    }

    // The mask as the server reads it: white where painted, black elsewhere.
    function changed() {
      painted = anyPainted();
      root.dataset.painted = painted ? "true" : "false";
      state.textContent = painted
        ? "Only the painted part is repainted."
        : "Nothing painted: the whole image is used as a start.";
      if (!painted) {
        setFiles([]);
        return;
      }
      var flat = document.createElement("canvas");
      flat.width = canvas.width;
      flat.height = canvas.height;
      var ink = flat.getContext("2d");
      ink.drawImage(canvas, 0, 0);
      ink.globalCompositeOperation = "source-in"; // white where painted
      ink.fillStyle = "#fff";
      ink.fillRect(0, 0, flat.width, flat.height);
      ink.globalCompositeOperation = "destination-over"; // black under it
      ink.fillStyle = "#000";
      ink.fillRect(0, 0, flat.width, flat.height);
      flat.toBlob(function (blob) {
        if (blob && painted) {
          setFiles([new File([blob], "mask.png", { type: "image/png" })]);
        }
      }, "image/png");
    }

    function setFiles(files) {
      var transfer = new DataTransfer();
      files.forEach(function (file) {
        transfer.items.add(file);
      });
      maskInput.files = transfer.files;
      fileChosen = false;
      root.dataset.maskReady = files.length ? "true" : "false";
      // As a chosen file would: the page's script marks the models that cannot inpaint.
      settingFiles = true;
      maskInput.dispatchEvent(new Event("change", { bubbles: true }));
      settingFiles = false;
    }

    // The mask file in the input painted over the picture in place of the
    // strokes, so that what is shown is what is sent; false when there is none.
    function paintChosenMask() {
      var file = maskInput.files && maskInput.files[0];
      if (!file) {
        return false;
      }
      context.clearRect(0, 0, canvas.width, canvas.height);
      paintMask(URL.createObjectURL(file));
      return true;
    }

    maskInput.addEventListener("change", function () {
      if (settingFiles) {
        return;
      }
      fileChosen = maskInput.files.length > 0;
      if (fileChosen && !editor.hidden) {
        paintChosenMask();
      }
    });

    if (uploadInput) {
      uploadInput.addEventListener("change", function () {
        var file = uploadInput.files && uploadInput.files[0];
        if (!file) {
          return;
        }
        if (objectUrl) {
          URL.revokeObjectURL(objectUrl);
        }
        objectUrl = URL.createObjectURL(file);
        var probe = new Image();
        probe.onload = function () {
          show(objectUrl, probe.naturalWidth, probe.naturalHeight);
        };
        probe.src = objectUrl;
      });
    }

    // A mask sent before (the form came back with an error, or a Remix of
    // one's own inpainting): painted again, white in it becoming strokes.
    function paintMask(src) {
      var mask = new Image();
      mask.onload = function () {
        context.drawImage(mask, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var data = image.data;
        for (var i = 0; i < data.length; i += 4) {
          var white = data[i] >= 128 && data[i + 3] >= 128;
          data[i] = 220;
          data[i + 1] = 53;
          data[i + 2] = 69;
          data[i + 3] = white ? 255 : 0;
        }
        context.putImageData(image, 0, 0);
        changed();
      };
      mask.src = src;
    }

    if (root.dataset.src) {
      show(root.dataset.src, Number(root.dataset.width), Number(root.dataset.height));
      if (root.dataset.initialMask) {
        paintMask(root.dataset.initialMask);
      }
      if (root.hasAttribute("data-open")) {
        root.scrollIntoView({ block: "start" });
      }
    }
  }

  document.querySelectorAll("[data-mask-painter]").forEach(init);
})();
