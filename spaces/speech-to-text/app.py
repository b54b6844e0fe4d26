"""Speech to text: Whisper writes down what was said, in a recording or an uploaded file.

Audio is decoded and checked on the CPU (shared.read_speech: any of WAV, FLAC, OGG or MP3, 16 kHz
mono); only the samples cross to the GPU function, and long recordings go in 30-second chunks.
Recordings sent at the same time are transcribed together, in one GPU call.
"""

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr
import numpy as np

recognizer = shared.load_pipeline("speech-model")
examples = shared.example_clips("sample-media")


def checked(audio: str | None, timestamps: bool) -> tuple[np.ndarray, bool]:
    """The recording's samples, decoded and checked on the CPU before any GPU time is asked for."""
    return shared.read_speech(audio), bool(timestamps)


def recognition_seconds(recordings: list[np.ndarray], timestamps: list[bool]) -> int:
    """GPU time to ask ZeroGPU for: it grows with the recordings' length."""
    return shared.gpu_seconds_for_speech(recordings)


@shared.gpu(duration=recognition_seconds)
def recognize(recordings: list[np.ndarray], timestamps: list[bool]) -> list[dict]:
    """Transcript and segments of each recording (16 kHz mono samples)."""
    return shared.transcribe_batch(recognizer, recordings, timestamps=timestamps)


# Concurrent visitors share the passes and one GPU call: up to eight 30-second windows of audio
# per batch; a longer recording runs alone.
@shared.batched(max_size=8, check=checked, weight=lambda samples, _timestamps: shared.speech_windows(samples))
def transcribe(recordings: list[np.ndarray], timestamps: list[bool]) -> list[tuple | shared.InputError]:
    """The transcript of each recording, and its timed segments when asked for."""
    return [
        (result["text"], result["segments"])
        if result["text"]
        else shared.InputError("No speech was recognised in the recording.")
        for result in recognize(recordings, timestamps)
    ]


with shared.page(
    __file__,
    "Record or upload speech and read what was said (Whisper tiny). Long recordings are transcribed in chunks.",
    uses=["speech-model", "sample-media"],
) as demo:
    with gr.Row():
        with gr.Column():
            audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech")
            timestamps = gr.Checkbox(label="Timestamps", info="When each segment was said")
            submit = gr.Button("Transcribe", variant="primary")
        with gr.Column():
            transcript = gr.Textbox(label="Transcript", lines=6, buttons=["copy"], elem_id="transcript")
            segments = gr.Dataframe(headers=["start (s)", "end (s)", "text"], label="Segments", wrap=True)
            shared.feedback("transcribe", inputs=[audio, timestamps], outputs=[transcript, segments])
    gr.Examples([path for path, _ in examples], inputs=audio, label="Sample clips")
    submit.click(transcribe, inputs=[audio, timestamps], outputs=[transcript, segments], api_name="transcribe")

if __name__ == "__main__":
    demo.launch()
