from pathlib import Path

import pytest

from rag.config import load_settings


def test_precedence_overrides_env_file_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = tmp_path / "rag.toml"
    config.write_text('chunk_max_words = 77\nchroma_host = "db.local"\n[columns]\ntext = ["body"]\n')
    monkeypatch.setenv("RAG_CHROMA_HOST", "env.local")
    settings = load_settings(config)
    assert settings.chunk_max_words == 77 and settings.columns.text == ["body"]
    assert settings.chroma_host == "env.local"  # env beats the file
    assert load_settings(config, chroma_host="flag.local").chroma_host == "flag.local"  # flags beat env
    assert load_settings().chunk_max_words == 150  # default without a file


def test_config_from_env_var_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    config = tmp_path / "other.toml"
    config.write_text("dedup_jaccard = 0.9\n")
    monkeypatch.setenv("RAG_CONFIG", str(config))
    assert load_settings().dedup_jaccard == 0.9
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "missing.toml")


def test_ingest_fingerprint_tracks_settings_that_change_the_index():
    base = load_settings()
    assert base.ingest_fingerprint() == load_settings(chroma_port=9000).ingest_fingerprint()
    assert base.ingest_fingerprint() != load_settings(chunk_max_words=80).ingest_fingerprint()
