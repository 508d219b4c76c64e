"""``python -m autovec.bench``: see ``autovec.bench.report``."""

if __name__ == "__main__":
    from autovec.bench.report import main

    raise SystemExit(main())
