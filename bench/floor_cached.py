"""The floor of reading a DVC-cached file at many tagged commits: one for-each-ref, one cat-file --batch of
dvc.lock, one local file read per commit (the cache object named by the lock's hash)."""

import re
import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    path, pattern = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "refs/tags"
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(*objectname)", pattern], capture_output=True, check=True
    ).stdout.split()
    commits = list(dict.fromkeys(refs))
    spec = b"".join(c + b":dvc.lock\n" for c in commits)
    out = subprocess.run(["git", "cat-file", "--batch"], input=spec, capture_output=True, check=True).stdout
    entry = re.compile(rb"- path: " + re.escape(path.encode()) + rb"\n(?:      [^\n]*\n)*?      md5: ([0-9a-f]{32})")
    total = 0
    for md5 in entry.findall(out)[: len(commits)]:
        total += len((Path(".dvc/cache/files/md5") / md5[:2].decode() / md5[2:].decode()).read_bytes())
    print(len(commits), "commits", total, "bytes")
