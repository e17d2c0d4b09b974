"""``%mlops_env``: show or switch the environment profile; ``%mlops_doctor``: check the set-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..display.envview import EnvView
from ..session import session


@magics_class
class EnvMagics(Magics):
    """Environment profiles (dev / staging / prod...)."""

    @magic_arguments()
    @argument("name", nargs="?", help="profile to switch to; omit to show the active one")
    @argument("--list", action="store_true", help="list every profile of the project")
    @line_magic
    def mlops_env(self, line: str) -> Any:
        """Show the active environment profile and where each value comes from, or switch."""
        args = parse_argstring(self.mlops_env, line)
        if args.name:
            session.use_env(args.name)
        return EnvView.current(show_all=args.list)

    @magic_arguments()
    @line_magic
    def mlops_doctor(self, line: str) -> Any:
        """Check config, git, DVC and the tracking store, and say what to fix (``mj.doctor()``)."""
        parse_argstring(self.mlops_doctor, line)
        import mlops_jupyter as mj

        return mj.doctor()


def export_mlops_env(line: str, cell: str | None = None) -> str:
    """``%mlops_env NAME`` -> ``mj.use_env(NAME)``; showing the profile has nothing to do in a script."""
    args = parse_argstring(EnvMagics.mlops_env, line)
    if not args.name:
        return "pass  # %mlops_env (show) has nothing to do in a script"
    return f"mj.use_env({args.name!r})"


def export_mlops_doctor(line: str, cell: str | None = None) -> str:
    """``%mlops_doctor`` -> ``print(mj.doctor())`` (a failed check does not stop the job)."""
    parse_argstring(EnvMagics.mlops_doctor, line)
    return "print(mj.doctor())"


SCRIPT_EXPORTS: dict[str, Callable[[str, str | None], str]] = {
    "mlops_env": export_mlops_env, "mlops_doctor": export_mlops_doctor,
}
