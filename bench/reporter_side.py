"""Benchmark of the reporter side's cryptography: what one report and one code lookup cost.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/reporter_side.py [--repeat 20]

It measures, with the production settings' defaults (``meldpunt.settings.base``):

* a receipt code: the keyed hash (on submission) and its verification (on lookup), and for
  comparison the legacy Argon2id hash (64 MiB, t=3, the parameters used before) and its
  verification (still done once for codes issued before the change);
* Fernet encryption and decryption of a description of 2,000 characters and of a 10 MB
  attachment (the largest allowed), and the size of the stored ciphertext;
* the blind index of a 2,000-character description (``reports.crypto.index_terms``).

No database is needed. It prints a Markdown table and writes it into ``docs/benchmarks.md``
between the markers ``<!-- reporter-side:start -->`` and ``<!-- reporter-side:end -->``.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.local")

import django  # noqa: E402

django.setup()

import argon2  # noqa: E402

from reports import crypto  # noqa: E402
from reports.services import receipts  # noqa: E402

START, END = "<!-- reporter-side:start -->", "<!-- reporter-side:end -->"
WORDS = ("ik werd bij de ingang van de winkel geweigerd omdat ik een hoofddoek draag en de "
         "medewerker zei dat mensen zoals ik daar niet welkom waren").split()


def timed(function, repeat: int) -> tuple[float, float]:
    """Best and median wall time of ``function()`` over ``repeat`` runs, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return min(samples), statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    cost = {"time_cost": 3, "memory_cost": 65536, "parallelism": 1}
    hasher = argon2.PasswordHasher(**cost)
    raw = receipts.normalise_code(receipts.generate_code())
    stored = hasher.hash(raw)
    keyed = receipts.hash_code(raw)
    description = " ".join(secrets.choice(WORDS) for _ in range(400))[:2000]
    attachment = os.urandom(10 * 1024 * 1024)
    token_small = crypto.encrypt_bytes(description.encode())
    token_large = crypto.encrypt_bytes(attachment)

    rows = [
        ("receipt code: keyed hash", *timed(lambda: receipts.hash_code(raw), args.repeat),
         "HMAC-SHA256 + Fernet"),
        ("receipt code: keyed verify",
         *timed(lambda: receipts.verify_code(keyed, raw), args.repeat), ""),
        ("receipt code: legacy Argon2id hash", *timed(lambda: hasher.hash(raw), args.repeat),
         f"{cost['memory_cost'] // 1024} MiB, t={cost['time_cost']}; no longer made"),
        ("receipt code: legacy Argon2id verify",
         *timed(lambda: hasher.verify(stored, raw), args.repeat), "once per old code"),
        ("description 2,000 chars: encrypt",
         *timed(lambda: crypto.encrypt_bytes(description.encode()), args.repeat),
         f"{len(token_small):,} bytes stored"),
        ("description 2,000 chars: decrypt",
         *timed(lambda: crypto.decrypt_bytes(token_small), args.repeat), ""),
        ("description 2,000 chars: blind index",
         *timed(lambda: crypto.index_terms(description), args.repeat),
         f"{len(crypto.index_terms(description)):,} bytes stored"),
        ("attachment 10 MB: encrypt",
         *timed(lambda: crypto.encrypt_bytes(attachment), max(3, args.repeat // 4)),
         f"{len(token_large) / len(attachment):.2f}× the file on disk"),
        ("attachment 10 MB: decrypt",
         *timed(lambda: crypto.decrypt_bytes(token_large), max(3, args.repeat // 4)), ""),
    ]
    load_after = os.getloadavg()[0]
    lines = [
        START,
        f"Measured on {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{args.repeat} runs (10 MB: {max(3, args.repeat // 4)}), 1-minute load average "
        f"{load_before:.2f} before and {load_after:.2f} after (shared machine: "
        "compare rows of one run, not absolute times).",
        "",
        "| operation | best (ms) | median (ms) | note |",
        "|---|---:|---:|---|",
        *[f"| {name} | {best:.2f} | {median:.2f} | {note} |" for name, best, median, note in rows],
        END,
    ]
    report = "\n".join(lines)
    print(report)
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        text = text[:text.index(START)] + report + text[text.index(END) + len(END):]
    else:
        text += "\n## Reporter side: cryptography per report\n\n" + report + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
