"""Load the iris data set and split it into train/test CSV files."""

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

OUT_DIR = Path("data/prepared")


def write_csv(path: Path, features: np.ndarray, target: np.ndarray, header: list[str]) -> None:
    """Write features plus a final integer target column as CSV."""
    rows = np.column_stack([features, target])
    np.savetxt(path, rows, delimiter=",", header=",".join(header), comments="", fmt="%g")


def main() -> None:
    params: dict[str, Any] = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data,
        data.target,
        test_size=float(params["test_size"]),
        random_state=int(params["seed"]),
        stratify=data.target,
    )
    header = [*data.feature_names, "target"]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write_csv(OUT_DIR / "train.csv", x_train, y_train, header)
    write_csv(OUT_DIR / "test.csv", x_test, y_test, header)


if __name__ == "__main__":
    main()
