"""Evaluate the trained model on the test set and write metrics/scores.json."""

import json
import pickle
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss

TEST_CSV = Path("data/prepared/test.csv")
MODEL_PATH = Path("models/model.pkl")
SCORES_PATH = Path("metrics/scores.json")


def main() -> None:
    rows = np.loadtxt(TEST_CSV, delimiter=",", skiprows=1)
    features, target = rows[:, :-1], rows[:, -1].astype(int)
    with MODEL_PATH.open("rb") as handle:
        model = pickle.load(handle)  # noqa: S301 - model produced by this pipeline
    predicted = model.predict(features)
    probabilities = model.predict_proba(features)
    scores = {
        "accuracy": round(float(accuracy_score(target, predicted)), 4),
        "f1_macro": round(float(f1_score(target, predicted, average="macro")), 4),
        "loss": round(float(log_loss(target, probabilities, labels=model.classes_)), 4),
    }
    SCORES_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCORES_PATH.write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
