"""Speech to text: Whisper writes down what was said, in a recording or an uploaded file.

Audio is decoded and checked on the CPU (shared.read_speech: any of WAV, FLAC, OGG or MP3, 16 kHz
mono); only the samples cross to the GPU function, and long recordings go in 30-second chunks.
"""

import shared  # first: ZeroGPU needs `spaces` imported before gradio and torch

import gradio as gr
import numpy as np

recognizer = shared.load_pipeline("speech-model")
examples = shared.example_clips("sample-media")


def recognition_seconds(samples: np.ndarray, timestamps: bool) -> int:
    """GPU time to ask ZeroGPU for: it grows with the recording's length."""
    return shared.gpu_seconds_for_speech(samples)


@shared.gpu(duration=recognition_seconds)
def recognize(samples: np.ndarray, timestamps: bool) -> dict:
    """Transcript and segments of 16 kHz mono samples."""
    return shared.transcribe(recognizer, samples, timestamps=timestamps)


def transcribe(audio: str | None, timestamps: bool) -> tuple[str, list[list]]:
    """The transcript of a recording, and its timed segments when asked for."""
    samples = shared.read_speech(audio)  # decoded and checked on the CPU, before any GPU time is asked for
    result = recognize(samples, bool(timestamps))
    if not result["text"]:
        raise shared.InputError("No speech was recognised in the recording.")
    return result["text"], result["segments"]


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
