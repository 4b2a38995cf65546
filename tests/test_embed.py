"""The embedder interface: the default ONNX MiniLM and an OpenAI-compatible endpoint (a real local HTTP server)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np

from rag.config import Settings
from rag.embed import OnnxMiniLMEmbedding, OpenAICompatibleEmbedding, build_embedder


def test_default_embedder_is_normalised_minilm_and_ranks_paraphrases_closer():
    embedder = build_embedder(Settings())
    assert isinstance(embedder, OnnxMiniLMEmbedding)
    vectors = np.array(
        embedder.get_text_embedding_batch(
            [
                "Four police officers were killed in the attack.",
                "The assault left four policemen dead.",
                "The football season starts in August.",
            ]
        )
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    # Batching and ordering do not change a vector.
    single = np.array(embedder.get_text_embedding("The football season starts in August."))
    assert np.allclose(single, vectors[2], atol=1e-4)


def test_texts_embedded_side_by_side_keep_their_order_and_vectors():
    """Two single-threaded runs at once must give each text the vector it gets alone, in the order given."""
    texts = [f"Report {n}: " + "shelling hit the district " * (n % 7 + 1) for n in range(12)]
    together = np.array(OnnxMiniLMEmbedding(threads=2, model_name="m").get_text_embedding_batch(texts))
    alone = np.array([OnnxMiniLMEmbedding(threads=1, model_name="m").get_text_embedding(text) for text in texts])
    assert np.allclose(together, alone, atol=1e-6)
    assert len({tuple(np.round(vector, 4)) for vector in together}) == len(texts)


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(inputs)
        ]
        payload = json.dumps(
            {
                "object": "list",
                "data": data[::-1],
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


def test_openai_compatible_endpoint_is_a_setting():
    server = HTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(
            embed_backend="openai",
            embed_model="remote-model",
            embed_api_base=f"http://127.0.0.1:{server.server_port}/v1",
        )
        embedder = build_embedder(settings)
        assert isinstance(embedder, OpenAICompatibleEmbedding)
        assert embedder.get_text_embedding_batch(["ab", "abcd"]) == [[2.0, 1.0, 0.0], [4.0, 1.0, 0.0]]
    finally:
        server.shutdown()
