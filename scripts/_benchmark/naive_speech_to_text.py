"""The naive single-file version of the speech-to-text demo: `pipeline()` + `gr.Interface`.

Same model at the same revision as spaces/speech-to-text, one recording per pipeline call, the way
a first demo usually is (read with soundfile and resampled with scipy, as the pipeline would need
ffmpeg and torchaudio for a file). scripts/benchmark_batching.py measures the suite's demo against it.
"""

from math import gcd

import gradio as gr
import soundfile
from scipy.signal import resample_poly
from transformers import pipeline

recognizer = pipeline(
    "automatic-speech-recognition", model="openai/whisper-tiny", revision="169d4a4341b33bc18d8881c4b69c2e104e1cc0af"
)


def transcribe(audio, timestamps):
    samples, rate = soundfile.read(audio, dtype="float32", always_2d=True)
    samples = resample_poly(samples.mean(axis=1), 16_000 // gcd(16_000, rate), rate // gcd(16_000, rate))
    speech = {"raw": samples.astype("float32"), "sampling_rate": 16_000}
    result = recognizer(speech, return_timestamps=bool(timestamps), chunk_length_s=30)
    segments = [[*chunk["timestamp"], chunk["text"]] for chunk in result.get("chunks", [])]
    return result["text"], segments


demo = gr.Interface(
    transcribe,
    [gr.Audio(type="filepath", label="Speech"), gr.Checkbox(label="Timestamps")],
    [gr.Textbox(label="Transcript"), gr.Dataframe(headers=["start (s)", "end (s)", "text"], label="Segments")],
    api_name="transcribe",
)

if __name__ == "__main__":
    demo.launch()
