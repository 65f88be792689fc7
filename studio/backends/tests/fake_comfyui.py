"""A fake ComfyUI for the engine's contract tests: its HTTP routes and its
websocket on one port, speaking ComfyUI's wire format as in
comfyanonymous/ComfyUI server.py (routes, binary preview frames), execution.py
(validation errors, execution messages, history) and
script_examples/websockets_api_example.py (the client's side).

Prompts run one at a time, in queue order, on a worker thread: each node sends
``executing``; KSampler sends ``progress`` per step and a JPEG preview frame
after the first; SaveImage stores a real PNG whose colour encodes the seed
(``color_for``) and sends ``executed``; the end is ``executing`` with
``node: null``. Knobs for the tests: ``pause_at_step`` (hold a prompt after
that step until it is interrupted), ``failures`` (class_type → exception),
``routes`` (replace an HTTP route), ``credentials`` (demand basic auth),
``drop_websocket_at_step``.

Image to image: ``POST /upload/image`` takes the multipart form ComfyUI's page
sends (``image`` file, ``type``, ``subfolder``, ``overwrite``) into its input
folder (``uploads``) and answers ``{name, subfolder, type}``; LoadImage refuses
a file not there as ComfyUI's VALIDATE_INPUTS does ("Invalid image file"), and
the saved picture's size follows the links from SaveImage (EmptyLatentImage's,
LoadImage's, LatentUpscale's or ImageScale's width and height). Validation
names unknown node classes, missing required inputs, links to no node and
links whose type is not the input's (a MASK input fed an IMAGE);
nodes run in the order of their links, not of the prompt's keys.

Inpainting and hires fix: LoadImageMask (its upload checked as LoadImage's),
VAEEncodeForInpaint, SetLatentNoiseMask, ImageCompositeMasked, LatentUpscale
and ImageScale are known nodes; ``node_classes`` can leave some out (an older
ComfyUI).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import json
import socket
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

KSAMPLER_NAMES = [
    "euler",
    "euler_ancestral",
    "heun",
    "dpm_2",
    "dpm_2_ancestral",
    "lms",
    "dpm_fast",
    "dpm_adaptive",
    "dpmpp_2s_ancestral",
    "dpmpp_sde",
    "dpmpp_2m",
    "dpmpp_2m_sde",
    "dpmpp_3m_sde",
    "ddpm",
    "lcm",
    "res_multistep",
    "ddim",
    "uni_pc",
]
SCHEDULER_NAMES = [
    "simple",
    "sgm_uniform",
    "karras",
    "exponential",
    "ddim_uniform",
    "beta",
    "normal",
]
# class_type → (its required inputs: name → the type a link to it must carry,
# None for a value; what its outputs carry), as nodes.py and
# comfy_extras/nodes_mask.py declare them.
LATENT, IMAGE, MASK, VAE = "LATENT", "IMAGE", "MASK", "VAE"
NODE_CLASSES = {
    "CheckpointLoaderSimple": ({"ckpt_name": None}, ("MODEL", "CLIP", VAE)),
    "CLIPTextEncode": ({"text": None, "clip": "CLIP"}, ("CONDITIONING",)),
    "EmptyLatentImage": ({"width": None, "height": None, "batch_size": None}, (LATENT,)),
    "KSampler": (
        {
            "model": "MODEL",
            "seed": None,
            "steps": None,
            "cfg": None,
            "sampler_name": None,
            "scheduler": None,
            "positive": "CONDITIONING",
            "negative": "CONDITIONING",
            "latent_image": LATENT,
            "denoise": None,
        },
        (LATENT,),
    ),
    "VAEDecode": ({"samples": LATENT, "vae": VAE}, (IMAGE,)),
    "SaveImage": ({"images": IMAGE, "filename_prefix": None}, ()),
    "PreviewImage": ({"images": IMAGE}, ()),
    "LoadImage": ({"image": None}, (IMAGE, MASK)),
    "VAEEncode": ({"pixels": IMAGE, "vae": VAE}, (LATENT,)),
    "LoadImageMask": ({"image": None, "channel": None}, (MASK,)),
    "VAEEncodeForInpaint": (
        {"pixels": IMAGE, "vae": VAE, "mask": MASK, "grow_mask_by": None},
        (LATENT,),
    ),
    "SetLatentNoiseMask": ({"samples": LATENT, "mask": MASK}, (LATENT,)),
    "ImageCompositeMasked": (
        {"destination": IMAGE, "source": IMAGE, "x": None, "y": None, "resize_source": None},
        (IMAGE,),
    ),
    "LatentUpscale": (
        {"samples": LATENT, "upscale_method": None, "width": None, "height": None, "crop": None},
        (LATENT,),
    ),
    "ImageScale": (
        {"image": IMAGE, "upscale_method": None, "width": None, "height": None, "crop": None},
        (IMAGE,),
    ),
}
OPTIONAL_INPUTS = {"ImageCompositeMasked": {"mask": MASK}}
# Where a node's picture size comes from: the input it follows, or its own width/height.
SIZE_FROM = {
    "KSampler": "latent_image",
    "VAEDecode": "samples",
    "VAEEncode": "pixels",
    "VAEEncodeForInpaint": "pixels",
    "SetLatentNoiseMask": "samples",
    "ImageCompositeMasked": "destination",
}
OUTPUT_NODES = {"SaveImage": "output", "PreviewImage": "temp"}


def color_for(seed: int) -> tuple[int, int, int]:
    return (seed % 256, (seed // 256) % 256, 77)


class Interrupted(Exception):
    pass


class NodeFailure(Exception):
    def __init__(self, node_id, class_type, exception_type, message):
        super().__init__(message)
        self.node_id, self.class_type = node_id, class_type
        self.exception_type, self.message = exception_type, message


class FakeComfyUI:
    def __init__(self, checkpoints=("sd_xl_base_1.0.safetensors",)):
        self.checkpoints = list(checkpoints)
        self.node_classes = dict(NODE_CLASSES)
        self.pause_at_step: int | None = None
        self.drop_websocket_at_step: int | None = None
        self.failures: dict[str, tuple[str, str]] = {}
        # (method, path or "/dir/*") → handler({"query", "body"}) → (status, body, type[, headers])
        self.routes: dict[tuple[str, str], object] = {}
        self.credentials: tuple[str, str] | None = None
        self.unrecorded_history_answers = 0  # answer GET /history/{id} with {} this many times
        self.hide_outputs = False  # history entries list no outputs
        # What happened, for assertions.
        self.events: list[tuple[str, str]] = []  # ("ws", client id), ("prompt", client id), ...
        self.prompts: list[dict] = []  # bodies of accepted POST /prompt
        self.prompt_ids: list[str] = []  # the ids given to them
        self.requests: list[dict] = []  # every HTTP request: method, path, headers
        self.handshakes: list[dict] = []  # websocket handshake headers
        self.interrupts: list[dict] = []  # bodies of POST /interrupt
        self.deleted: list[str] = []  # prompt ids POST /queue removed
        self.uploads: dict[str, bytes] = {}  # the input folder: "subfolder/name" → bytes
        self.upload_forms: list[dict] = []  # the text fields of each POST /upload/image
        # State.
        self.lock = threading.Condition()
        self.queue: list[tuple] = []  # (number, prompt_id, prompt, extra_data, outputs)
        self.running: tuple | None = None
        self.interrupt_requested = False
        self.history: dict[str, dict] = {}
        self.files: dict[tuple[str, str], bytes] = {}  # (type, filename) → PNG
        self.sockets: dict[str, object] = {}
        self.number = 0
        self.closing = False

    # Lifecycle ------------------------------------------------------------------

    def __enter__(self) -> FakeComfyUI:
        self.websockets = serve(self.ws_handler, sock=socket.socket(), process_request=self.ws_auth)
        self.http = Listener(self)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()
        threading.Thread(target=self.worker, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:
            self.closing = True
            self.lock.notify_all()
        self.http.shutdown()
        self.http.server_close()
        for connection in list(self.sockets.values()):
            connection.close()
        self.websockets.socket.close()

    def wait_for(self, condition, timeout: float = 5.0) -> bool:
        """Wait until ``condition()`` holds; the worker notifies at each change."""
        with self.lock:
            return self.lock.wait_for(condition, timeout)

    # Websocket ------------------------------------------------------------------

    def ws_auth(self, connection, request):
        """Check the handshake; register the socket before the client hears back, as
        ComfyUI does, so that no message for a prompt it queues next is lost."""
        self.handshakes.append(dict(request.headers.raw_items()))
        if self.credentials and request.headers.get("Authorization") != self.basic():
            return connection.respond(401, "401: Unauthorized\n")
        query = parse_qs(urlsplit(request.path).query)
        connection.client_id = query.get("clientId", [""])[0] or uuid.uuid4().hex
        with self.lock:
            self.sockets[connection.client_id] = connection
            self.events.append(("ws", connection.client_id))
        return None

    def ws_handler(self, connection) -> None:
        client_id = connection.client_id
        self.send(client_id, "status", {"status": self.queue_info(), "sid": client_id})
        try:
            for _ in connection:
                pass
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if self.sockets.get(client_id) is connection:
                    del self.sockets[client_id]

    def send(self, client_id, kind: str, data: dict) -> None:
        connection = self.sockets.get(client_id)
        if connection is not None:
            try:
                connection.send(json.dumps({"type": kind, "data": data}))
            except ConnectionClosed:
                pass

    def broadcast(self, kind: str, data: dict) -> None:
        for client_id in list(self.sockets):
            self.send(client_id, kind, data)

    def send_preview(self, client_id) -> None:
        connection = self.sockets.get(client_id)
        if connection is None:
            return
        out = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 10, 10)).save(out, format="JPEG")
        try:  # PREVIEW_IMAGE (1), image type JPEG (1), the JPEG
            connection.send(struct.pack(">II", 1, 1) + out.getvalue())
        except ConnectionClosed:
            pass

    def queue_info(self) -> dict:
        return {"exec_info": {"queue_remaining": len(self.queue) + (self.running is not None)}}

    # HTTP -------------------------------------------------------------------------

    def basic(self) -> str:
        return "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()

    def answer(self, method: str, path: str, query: dict, body: bytes, headers: dict):
        """(status, body, content type) for one HTTP request."""
        self.requests.append({"method": method, "path": path, "headers": headers})
        if self.credentials and headers.get("Authorization") != self.basic():
            return 401, b"401: Unauthorized", "text/plain"
        route = self.routes.get((method, path)) or self.routes.get(
            (method, path.rsplit("/", 1)[0] + "/*")
        )
        if route:
            return route({"query": query, "body": body})
        if method == "POST" and path == "/prompt":
            return self.post_prompt(json.loads(body))
        if method == "POST" and path == "/upload/image":
            return self.upload_image(headers.get("Content-Type", ""), body)
        if method == "POST" and path == "/interrupt":
            return self.post_interrupt(json.loads(body or b"{}"))
        if method == "POST" and path == "/queue":
            return self.post_queue(json.loads(body))
        if method == "GET" and path.startswith("/history/"):
            prompt_id = path.removeprefix("/history/")
            with self.lock:
                entry = self.history.get(prompt_id)
                if entry is None or self.unrecorded_history_answers > 0:
                    self.unrecorded_history_answers -= entry is not None
                    return json_answer({})
            return json_answer(
                {prompt_id: {**entry, "outputs": {}} if self.hide_outputs else entry}
            )
        if method == "GET" and path == "/view":
            key = (query.get("type", ["output"])[0], query.get("filename", [""])[0])
            if key in self.files:
                return 200, self.files[key], "image/png"
            return 404, b"", "text/plain"
        if method == "GET" and path == "/queue":
            with self.lock:
                running = [list(self.running)] if self.running else []
                return json_answer({"queue_running": running, "queue_pending": self.queue})
        if method == "GET" and path == "/models/checkpoints":
            return json_answer(self.checkpoints)
        return 404, b"404: Not Found", "text/plain"

    def upload_image(self, content_type: str, body: bytes):
        """server.py's ``image_upload``: the file under its own name, into ``type``'s folder."""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        if not message.is_multipart():
            return 400, b"", "text/plain"
        fields, file = {}, None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename() is not None and name == "image":
                file = (part.get_filename(), part.get_payload(decode=True))
            elif name:
                fields[name] = part.get_content().strip()
        if file is None or not file[0]:
            return 400, b"", "text/plain"
        subfolder = fields.get("subfolder", "")
        with self.lock:
            self.upload_forms.append(fields)
            self.uploads[f"{subfolder}/{file[0]}" if subfolder else file[0]] = file[1]
        kind = fields.get("type") or "input"
        return json_answer({"name": file[0], "subfolder": subfolder, "type": kind})

    def post_prompt(self, data: dict):
        if "prompt" not in data:
            return json_answer({"error": "no prompt", "node_errors": []}, 400)
        prompt = data["prompt"]
        error, node_errors, outputs = self.validate(prompt)
        if error:
            return json_answer({"error": error, "node_errors": node_errors}, 400)
        extra_data = {"client_id": data["client_id"]} if "client_id" in data else {}
        with self.lock:
            prompt_id = str(uuid.uuid4())
            number = self.number
            self.number += 1
            self.queue.append((number, prompt_id, prompt, extra_data, outputs))
            self.prompts.append(data)
            self.prompt_ids.append(prompt_id)
            self.events.append(("prompt", data.get("client_id", "")))
            self.lock.notify_all()
        return json_answer({"prompt_id": prompt_id, "number": number, "node_errors": {}})

    def validate(self, prompt: dict):
        """ComfyUI's answers for an unknown node, no output, or a value not in a list."""
        for node_id, node in prompt.items():
            if node.get("class_type") not in self.node_classes:
                error = {
                    "type": "invalid_prompt",
                    "message": f"Cannot execute because node {node.get('class_type')} does "
                    "not exist.",
                    "details": f"Node ID '#{node_id}'",
                    "extra_info": {},
                }
                return error, {}, []
        outputs = [nid for nid, node in prompt.items() if node["class_type"] in OUTPUT_NODES]
        if not outputs:
            error = {
                "type": "prompt_no_outputs",
                "message": "Prompt has no outputs",
                "details": "",
                "extra_info": {},
            }
            return error, [], []
        lists = {
            "CheckpointLoaderSimple": {"ckpt_name": self.checkpoints},
            "KSampler": {"sampler_name": KSAMPLER_NAMES, "scheduler": SCHEDULER_NAMES},
            "LoadImageMask": {"channel": ["alpha", "red", "green", "blue"]},
            "LatentUpscale": {
                "upscale_method": ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"],
                "crop": ["disabled", "center"],
            },
            "ImageScale": {
                "upscale_method": ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"],
                "crop": ["disabled", "center"],
            },
        }
        node_errors = {}
        for node_id, node in prompt.items():
            errors = []
            for name, choices in lists.get(node["class_type"], {}).items():
                value = node["inputs"].get(name)
                if value not in choices:
                    errors.append(
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": f"{name}: '{value}' not in {choices}",
                            "extra_info": {
                                "input_name": name,
                                "input_config": [choices],
                                "received_value": value,
                            },
                        }
                    )
            required, _ = self.node_classes[node["class_type"]]
            optional = OPTIONAL_INPUTS.get(node["class_type"], {})
            for name, wanted in {**required, **optional}.items():
                value = node["inputs"].get(name)
                if value is None and name in required:
                    errors.append(
                        {
                            "type": "required_input_missing",
                            "message": "Required input is missing",
                            "details": name,
                            "extra_info": {"input_name": name},
                        }
                    )
                elif isinstance(value, list) and str(value[0]) not in prompt:
                    errors.append(
                        {
                            "type": "bad_linked_input",
                            "message": "Bad linked input, must be a length-2 list of [string, int]",
                            "details": f"{name}: {value}",
                            "extra_info": {"input_name": name},
                        }
                    )
                elif isinstance(value, list):
                    source = prompt[str(value[0])]["class_type"]
                    outputs = self.node_classes.get(source, ({}, ()))[1]
                    received = outputs[value[1]] if value[1] < len(outputs) else None
                    if received != wanted:
                        errors.append(
                            {
                                "type": "return_type_mismatch",
                                "message": "Return type mismatch between linked nodes",
                                "details": f"{name}, received_type({received}) mismatch "
                                f"input_type({wanted})",
                                "extra_info": {"input_name": name},
                            }
                        )
            image = node["inputs"].get("image")
            loads = node["class_type"] in ("LoadImage", "LoadImageMask")
            if loads and isinstance(image, str) and image not in self.uploads:
                errors.append(
                    {
                        "type": "custom_validation_failed",
                        "message": "Custom validation failed for node",
                        "details": f"image - Invalid image file: {image}",
                        "extra_info": {},
                    }
                )
            if errors:
                node_errors[node_id] = {
                    "errors": errors,
                    "dependent_outputs": outputs,
                    "class_type": node["class_type"],
                }
        if node_errors:
            details = "\n".join(
                f"{e['message']}: {e['details']}" for n in node_errors.values() for e in n["errors"]
            )
            error = {
                "type": "prompt_outputs_failed_validation",
                "message": "Prompt outputs failed validation",
                "details": details,
                "extra_info": {},
            }
            return error, node_errors, outputs
        return None, {}, outputs

    def post_interrupt(self, data: dict):
        with self.lock:
            self.interrupts.append(data)
            running_id = self.running[1] if self.running else None
            if running_id and data.get("prompt_id") in (None, running_id):
                self.interrupt_requested = True
                self.lock.notify_all()
        return 200, b"", "text/plain"

    def post_queue(self, data: dict):
        with self.lock:
            for prompt_id in data.get("delete", []):
                self.deleted.append(prompt_id)
                self.queue = [item for item in self.queue if item[1] != prompt_id]
            if data.get("clear"):
                self.queue = []
        return 200, b"", "text/plain"

    # Execution --------------------------------------------------------------------

    def worker(self) -> None:
        while True:
            with self.lock:
                while not self.queue and not self.closing:
                    self.lock.wait()
                if self.closing:
                    return
                self.queue.sort(key=lambda item: item[0])
                self.running = self.queue.pop(0)
                self.interrupt_requested = False
            self.execute(*self.running)
            with self.lock:
                self.running = None

    def execute(self, number, prompt_id, prompt, extra_data, output_ids) -> None:
        client_id = extra_data.get("client_id")
        started = {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}
        messages = [["execution_start", started]]
        self.send(client_id, "execution_start", started)
        self.send(client_id, "execution_cached", {"nodes": [], **started})
        outputs = {}
        node_id = None
        try:
            for node_id in in_link_order(prompt):
                node = prompt[node_id]
                self.send(
                    client_id,
                    "executing",
                    {"node": node_id, "display_node": node_id, "prompt_id": prompt_id},
                )
                if node["class_type"] in self.failures:
                    raise NodeFailure(
                        node_id, node["class_type"], *self.failures[node["class_type"]]
                    )
                if node["class_type"] == "KSampler":
                    self.sample(node_id, node, prompt_id, client_id)
                if node["class_type"] in OUTPUT_NODES:
                    outputs[node_id] = {"images": [self.save(prompt, node)]}
                    self.send(
                        client_id,
                        "executed",
                        {
                            "node": node_id,
                            "display_node": node_id,
                            "output": outputs[node_id],
                            "prompt_id": prompt_id,
                        },
                    )
            success = {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}
            messages.append(["execution_success", success])
            self.send(client_id, "execution_success", success)
            status = {"status_str": "success", "completed": True, "messages": messages}
        except Interrupted:
            data = {
                "prompt_id": prompt_id,
                "node_id": node_id,
                "node_type": prompt[node_id]["class_type"],
                "executed": [],
            }
            messages.append(["execution_interrupted", data])
            self.broadcast("execution_interrupted", data)
            status = {"status_str": "error", "completed": False, "messages": messages}
        except NodeFailure as failure:
            data = {
                "prompt_id": prompt_id,
                "node_id": failure.node_id,
                "node_type": failure.class_type,
                "executed": [],
                "exception_message": failure.message,
                "exception_type": failure.exception_type,
                "traceback": ['  File "nodes.py", line 1, in run\n'],
                "current_inputs": {},
                "current_outputs": {},
            }
            messages.append(["execution_error", data])
            self.send(client_id, "execution_error", data)
            status = {"status_str": "error", "completed": False, "messages": messages}
        with self.lock:
            self.history[prompt_id] = {
                "prompt": [number, prompt_id, prompt, extra_data, output_ids],
                "outputs": outputs,
                "status": status,
                "meta": {},
            }
            self.lock.notify_all()
        self.send(client_id, "executing", {"node": None, "prompt_id": prompt_id})

    def sample(self, node_id, node, prompt_id, client_id) -> None:
        steps = node["inputs"]["steps"]
        for value in range(1, steps + 1):
            with self.lock:
                if self.interrupt_requested:
                    raise Interrupted()
            progress = {"value": value, "max": steps, "prompt_id": prompt_id, "node": node_id}
            self.send(client_id, "progress", progress)
            if value == 1:
                self.send_preview(client_id)
            if value == self.drop_websocket_at_step:
                self.drop_websocket_at_step = None
                self.sockets[client_id].close()
            if value == self.pause_at_step:
                with self.lock:
                    while not self.interrupt_requested and not self.closing:
                        self.lock.wait()

    def save(self, prompt: dict, node: dict) -> dict:
        """A real PNG the size its images' links give, coloured by the sampler's seed."""
        sampler = next(n for n in prompt.values() if n["class_type"] == "KSampler")
        size = self.size_of(prompt, node["inputs"]["images"][0])
        out = io.BytesIO()
        Image.new("RGB", size, color_for(sampler["inputs"]["seed"])).save(out, format="PNG")
        kind = OUTPUT_NODES[node["class_type"]]
        prefix = node["inputs"].get("filename_prefix", "ComfyUI")
        with self.lock:
            filename = f"{prefix}_{len(self.files) + 1:05}_.png"
            self.files[(kind, filename)] = out.getvalue()
        return {"filename": filename, "subfolder": "", "type": kind}

    def size_of(self, prompt: dict, node_id: str) -> tuple[int, int]:
        """The width and height of what a node makes, following its links."""
        node = prompt[node_id]
        inputs = node["inputs"]
        if node["class_type"] in SIZE_FROM:
            return self.size_of(prompt, inputs[SIZE_FROM[node["class_type"]]][0])
        if node["class_type"] in ("LoadImage", "LoadImageMask"):
            return Image.open(io.BytesIO(self.uploads[inputs["image"]])).size
        return inputs["width"], inputs["height"]


def in_link_order(prompt: dict) -> list[str]:
    """The prompt's node ids, each after the nodes its inputs link to."""
    ordered: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in ordered:
            return
        for value in prompt[node_id]["inputs"].values():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in prompt:
                visit(str(value[0]))
        ordered.append(node_id)

    for node_id in sorted(prompt, key=lambda key: (len(key), key), reverse=True):
        visit(node_id)
    return ordered


def json_answer(data, status: int = 200):
    return status, json.dumps(data).encode(), "application/json"


class Listener(ThreadingHTTPServer):
    """One port for both: websocket handshakes go to the websockets server, the
    rest to the HTTP handler."""

    daemon_threads = True

    def __init__(self, fake: FakeComfyUI):
        super().__init__(("127.0.0.1", 0), Handler)
        self.fake = fake

    def process_request(self, request, client_address):
        if request.recv(8, socket.MSG_PEEK).startswith(b"GET /ws"):
            threading.Thread(
                target=self.fake.websockets.handler, args=(request, client_address), daemon=True
            ).start()
        else:
            super().process_request(request, client_address)

    def handle_error(self, request, client_address):
        """A client that gave up (a timeout test) is no error worth printing."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.dispatch()

    def do_POST(self):  # noqa: N802
        self.dispatch()

    def dispatch(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content, content_type, *headers = self.server.fake.answer(
            self.command, parts.path, parse_qs(parts.query), body, dict(self.headers)
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers[0] if headers else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format, *args):  # keep test output quiet
        pass
