"""``%load_ext mlops_jupyter`` in a fresh process: every magic registered, no heavy import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from mlops_jupyter.magics import MAGIC_CLASSES
from tests.conftest import env_without_overrides

HEAVY = ("mlflow", "dvc", "scipy", "plotly", "sqlalchemy")


def test_load_ext_registers_all_magics_and_imports_nothing_heavy(tmp_path) -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "mlops_jupyter")
        magics = ip.magics_manager.lsmagic()
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        classes = sorted(type(m).__name__ for m in ip.magics_manager.registry.values())
        print(json.dumps({{"line": sorted(magics["line"]), "cell": sorted(magics["cell"]), "heavy": heavy, "classes": classes}}))
        """
    )
    env = env_without_overrides()
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["heavy"] == []
    assert {cls for _, cls in MAGIC_CLASSES} <= set(data["classes"])
    assert {"mlops_env", "mlops_track"} <= set(data["line"])
    assert "mlops_track" in data["cell"]
