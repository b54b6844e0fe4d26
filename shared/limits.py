"""Every limit on what a public demo takes, in one place.

A Space is open to anyone: each input has a stated limit per kind (bytes, pixels, seconds, sample
rate, channels, characters, tokens) that is checked from headers and metadata first, before the
input is decoded and before any GPU time is booked, and a refusal is one line that names the
limit. Each app's queue is bounded too, so a flood of requests gets "busy, try again" rather
than unbounded memory. README.md ("Limits") lists them; each is a test in `tests/shared/`.

Only the standard library is imported here.
"""

from __future__ import annotations

# ---------------------------------------------------------------------- text
MAX_TEXT_CHARS = 5_000  # a sentence to classify, a search query
MAX_CHAT_MESSAGE_CHARS = 8_000  # one chat message or system prompt
# Characters one token of the chat models ever covers: turns older than the window could hold even
# at this rate are dropped before any tokenisation, so a huge history costs nothing to trim.
MAX_CHARS_PER_TOKEN = 32

# ---------------------------------------------------------------------- images and drawings
MAX_IMAGE_BYTES = 20 * 2**20
MAX_IMAGE_PIXELS = 40_000_000  # width × height, read from the file's header before decoding
# An image is brought to at most this a side as it is decoded (JPEGs decode at that scale
# directly); the image models see 224 px.
IMAGE_WORKING_SIDE = 1_024
# A drawing is scaled so that its longer side is at most this before any per-pixel work.
DRAWING_WORKING_SIDE = 512

# ---------------------------------------------------------------------- audio
MAX_AUDIO_BYTES = 128 * 2**20  # 10 minutes of 48 kHz stereo WAV fits
MAX_AUDIO_SECONDS = 10 * 60
MIN_AUDIO_SECONDS = 0.1
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 8
MAX_AUDIO_SAMPLES = 10 * 60 * 96_000 * 2  # frames × channels decoded: 10 minutes of 96 kHz stereo
# Whisper writes at most this many tokens per second of audio (fast speech is ~5; timestamps add
# a few), plus a few for the prompt: a clip cannot make it write until its 448-token limit.
SPEECH_TOKENS_PER_SECOND = 8
SPEECH_EXTRA_TOKENS = 8

# ---------------------------------------------------------------------- feedback
MAX_FEEDBACK_COMMENT_CHARS = 1_000  # a stakeholder's comment on an output
MAX_FEEDBACK_SUMMARY_CHARS = 500  # an input's or output's summary in a feedback record
# One process's file of records (a record is ~2 KB at most): past it, verdicts are refused, so a
# flood of clicks cannot fill the disk.
MAX_FEEDBACK_FILE_BYTES = 64 * 2**20

# ---------------------------------------------------------------------- requests and queues
MAX_REQUEST_BYTES = 2 * 2**20  # any request body but a file upload (JSON of every input)
QUEUE_SIZE = 64  # requests waiting per app; one more gets "the queue is full", at once
CONCURRENCY = 1  # requests of one event running at once (the CPU or GPU is the bottleneck)
# The same where inference servers answer for all of an app's models, by default: the app only
# relays (a thread per request, waiting on the network) and TGI or vLLM batch what they get. A
# server with one slot (llama-cpp-python's) is better sent one at a time: see shared.serving.
SERVED_CONCURRENCY = 16
