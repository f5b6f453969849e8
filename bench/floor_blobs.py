"""The git floor of reading one file at many tagged commits: one for-each-ref, then one cat-file --batch."""

import subprocess
import sys

if __name__ == "__main__":
    path, pattern = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "refs/tags"
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(*objectname)", pattern], capture_output=True, check=True
    ).stdout.split()
    commits = list(dict.fromkeys(refs))
    spec = b"".join(c + b":" + path.encode() + b"\n" for c in commits)
    out = subprocess.run(["git", "cat-file", "--batch"], input=spec, capture_output=True, check=True).stdout
    print(len(commits), "commits", len(out), "bytes")
