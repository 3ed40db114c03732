"""Tocsin ingest alone on the embedded log (`tocsin up` would add the correlator and router,
whose work is not what this benchmark measures):

    python -m loadtests.ingest_bench.embedded_ingest --config FILE --data DIR --port PORT
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from services.cli.assembly import Assembly, make_app
from services.cli.config_bundle import load_tocsin_config
from services.cli.wiring import add_ingest
from shared.config.settings import RuntimeSettings
from shared.log.embedded import EmbeddedLog
from shared.logs import configure_logging
from shared.runtime.collector import tune_collector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = RuntimeSettings(config=args.config, data_dir=args.data, port=args.port)
    configure_logging(settings.log_level, settings.log_format)
    assembly = Assembly(EmbeddedLog(args.data / "tocsin.sqlite"), partitions=settings.partitions)
    add_ingest(assembly, load_tocsin_config(args.config), settings)
    app = make_app(assembly, "tocsin-ingest-embedded")
    tune_collector()  # as `tocsin up` does before it serves
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
