"""``%mlops_env``: show or switch the environment profile; ``%mlops_doctor``: check the set-up."""

from __future__ import annotations

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
