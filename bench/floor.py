"""The git floor of a registry listing: start Python, run one `git for-each-ref` with trail's fields, split it."""

import subprocess

FIELDS = "%(refname:strip=2) %(objecttype) %(*objecttype) %(*objectname) %(taggername) %(taggeremail)"
FORMAT = "%00".join(FIELDS.split() + ["%(taggerdate:raw)", "%(contents)"]) + "%00"

if __name__ == "__main__":
    out = subprocess.run(["git", "for-each-ref", "--format=" + FORMAT, "refs/tags"], capture_output=True, check=True)
    fields = out.stdout.decode(errors="replace").split("\0")
    print(len(fields) // 8, "tags")
