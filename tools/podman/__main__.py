"""python -m tools.podman images [--tag TAG] | compose-binary | install"""

from __future__ import annotations

import argparse
import time

from tools.podman import engine, images


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.podman")
    sub = parser.add_subparsers(dest="command", required=True)
    built = sub.add_parser("images", help="build the stand-ins and the project's images")
    built.add_argument("--tag", default="latest", help="tag of remit/<target> (latest)")
    sub.add_parser("compose-binary", help="build Docker Compose; print its path")
    sub.add_parser("install", help="apt-get install podman, runc, debootstrap if missing")
    args = parser.parse_args()
    start = time.monotonic()
    if args.command == "images":
        env_file = images.build_all(args.tag)
        print(f"images built in {time.monotonic() - start:.0f} s; compose variables: {env_file}")
    elif args.command == "compose-binary":
        print(engine.compose_binary())
    else:
        engine.ensure_installed()


if __name__ == "__main__":
    main()
