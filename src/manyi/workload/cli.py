"""`manyi workload ...`: an outlet's default complexity weight per lobby service.

Exit status: 0 done; 1 refused (an unknown outlet or service, a weight out of range).
"""

from __future__ import annotations

from typing import Annotated

import typer

from manyi import audit, cli_support
from manyi.errors import ManyiError
from manyi.workload import weights

app = typer.Typer(help="Teller workload: service default weights.", no_args_is_help=True)


@app.command("weight")
def weight_command(
    outlet: Annotated[str, typer.Argument(help="The outlet's code.")],
    service: Annotated[str, typer.Argument(help="The lobby service's code.")],
    weight: Annotated[float, typer.Argument(help="Above 0, at most 10; 1 clears it.")],
) -> None:
    """Weigh a service's tickets served without a counter bundle (the default is 1)."""
    db = cli_support.database()
    try:
        with db.session() as session:
            before = weights.set_service_weight(
                session, audit.Actor(id=None, name="cli"), outlet, service, weight
            )
    except ManyiError as exc:
        raise cli_support.refuse(exc) from None
    typer.echo(f"{outlet} {service}: weight {before if before is not None else 1.0} → {weight}")
