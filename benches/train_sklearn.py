"""scikit-learn reference for `safehaven bench train`.

Reads the Parquet file written by `safehaven model export-training` (masked_id, features, label, validation),
standardises the features on the training rows, fits LogisticRegression(lbfgs) with C = 1/alpha (the same
objective as SafeHaven's: sum of log losses + alpha/2 * |w|^2, intercept unpenalised) and prints JSON:
fit seconds (fit only), iterations and validation AUC.

Needs: pip install scikit-learn pyarrow
Usage: python3 train_sklearn.py FILE.parquet [ALPHA]
"""

import json
import sys
import time

try:
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
except ImportError as missing:
    print(json.dumps({"error": f"{missing}: pip install scikit-learn pyarrow"}))
    sys.exit(3)


def main():
    path = sys.argv[1]
    alpha = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    table = pq.read_table(path)
    features = [c for c in table.column_names if c not in ("masked_id", "label", "validation")]
    x = np.column_stack([table.column(c).to_numpy() for c in features]).astype(np.float64)
    y = table.column("label").to_numpy(zero_copy_only=False).astype(bool)
    validation = table.column("validation").to_numpy(zero_copy_only=False).astype(bool)
    train = ~validation
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std[std == 0] = 1.0
    xs = (x - mean) / std
    model = LogisticRegression(solver="lbfgs", C=1.0 / alpha)
    started = time.perf_counter()
    model.fit(xs[train], y[train])
    fit_seconds = time.perf_counter() - started
    p = model.predict_proba(xs[validation])[:, 1]
    print(json.dumps({
        "fit_seconds": fit_seconds,
        "iterations": int(model.n_iter_[0]),
        "auc": float(roc_auc_score(y[validation], p)),
        "rows": int(train.sum()),
        "features": len(features),
    }))


if __name__ == "__main__":
    main()
