"""Train a random forest classifier on the prepared iris training set."""

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.ensemble import RandomForestClassifier

TRAIN_CSV = Path("data/prepared/train.csv")
MODEL_PATH = Path("models/model.pkl")


def main() -> None:
    params: dict[str, Any] = yaml.safe_load(Path("params.yaml").read_text())["train"]
    rows = np.loadtxt(TRAIN_CSV, delimiter=",", skiprows=1)
    features, target = rows[:, :-1], rows[:, -1].astype(int)
    model = RandomForestClassifier(
        n_estimators=int(params["n_estimators"]),
        max_depth=int(params["max_depth"]),
        random_state=int(params["seed"]),
    )
    model.fit(features, target)
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    with MODEL_PATH.open("wb") as handle:
        pickle.dump(model, handle)


if __name__ == "__main__":
    main()
