"""Residual degrees of freedom, read from real statsmodels and R summaries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from bulle.airlock import Status
from bulle.airlock.model_output import residual_dofs

from .helpers import flagged, result

ACRO_OUTPUTS = Path(__file__).parent / "fixtures" / "acro"


def _records(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    frame = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    frame["y"] = 2 * frame.x + rng.normal(size=n)
    frame["z"] = (frame.y > 0).astype(int)
    return frame


@pytest.mark.parametrize(
    ("records", "status"),
    [(12, Status.FAIL), (14, Status.PASS)],
    ids=["8-residual-dof-fail", "10-residual-dof-pass"],
)
@pytest.mark.parametrize("form", ["text", "html", "csv"])
def test_statsmodels_ols_summary(records: int, status: Status, form: str) -> None:
    fitted = smf.ols("y ~ x + g", data=_records(records)).fit()  # 4 parameters
    summary = fitted.summary()
    content = {"text": summary.as_text(), "html": summary.as_html(), "csv": summary.as_csv()}[form]
    check = result("dof", content, "model", name=f"m.{'txt' if form == 'text' else form}")
    assert check.status is status, check.message
    if status is Status.FAIL:
        assert check.cells[0].reason == "8 residual degrees of freedom, fewer than 10"
        assert check.cells[0].column == ("Df Residuals",)


def test_several_models_in_one_file_are_each_checked() -> None:
    big = smf.ols("y ~ x", data=_records(200)).fit().summary().as_text()
    small = smf.logit("z ~ x", data=_records(9)).fit(disp=0).summary().as_text()
    check = result("dof", big + "\n\n" + small, "model")
    assert check.status is Status.FAIL
    assert check.message == "1 of 2 models with fewer than 10 residual degrees of freedom"
    assert [dof.value for dof in residual_dofs(big + small)] == [198.0, 7.0]


def test_acro_regression_csv_is_read() -> None:
    check = result("dof", (ACRO_OUTPUTS / "output_2_0.csv").read_bytes(), "model", name="output_2_0.csv")
    assert check.status is Status.FAIL
    assert flagged(check) == [(("line 7",), ("Df Residuals",))]


def test_a_model_output_without_degrees_of_freedom_goes_to_review() -> None:
    coefficients = (ACRO_OUTPUTS / "output_2_1.csv").read_bytes()
    check = result("dof", coefficients, "model", name="output_2_1.csv")
    assert check.status is Status.REVIEW
    assert check.message.startswith("no residual degrees of freedom found")


R_SCRIPT = """
set.seed(1)
d <- data.frame(x = rnorm({n}), g = factor(rep(c("a", "b", "c"), length.out = {n})))
d$y <- 2 * d$x + rnorm({n})
d$z <- as.integer(d$y > 0)
print(summary(lm(y ~ x + g, data = d)))
print(summary(glm(z ~ x, family = binomial, data = d)))
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (make install adds r-base-core)")
@pytest.mark.parametrize(
    ("n", "status", "dofs"),
    [(12, Status.FAIL, [8.0, 10.0]), (14, Status.PASS, [10.0, 12.0])],
    ids=["lm-8-dof-fails", "lm-10-dof-passes"],
)
def test_r_lm_and_glm_summaries(n: int, status: Status, dofs: list[float]) -> None:
    printed = subprocess.run(["Rscript", "-e", R_SCRIPT.format(n=n)], check=True, capture_output=True, text=True).stdout
    assert "Null deviance" in printed  # present, and not taken for the model's residual degrees of freedom
    assert [dof.value for dof in residual_dofs(printed)] == dofs
    assert result("dof", printed, "model").status is status
