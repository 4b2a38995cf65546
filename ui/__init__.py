"""The Gradio chat UI (`rag ui`). Gradio's telemetry and Hugging Face Hub checks are switched off here, before
any module of this package imports gradio, because the app must start and run offline."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
