"""``growthsim dashboard``: serve the Solara dashboard (growthsim.dashboard) on this machine.

The server is ``solara run growthsim.dashboard.app`` in a child process of the same Python;
this command checks its options first, prints the address, and on Ctrl-C stops the server
and exits with status 130. Importing this module does not import Solara.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import click

# growthsim.cli imports this module while it registers commands, so its helpers are imported
# inside the functions: importing growthsim.cli here would fail when this module comes first.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("dashboard", context_settings={"max_content_width": 100})
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              metavar="P", help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="HOST",
              help="Address to listen on (this machine only by default).")
@click.option("--scenario", "scenario", type=click.Path(path_type=Path), metavar="FILE",
              help="Scenario file picked first (default: baseline.toml of the folder).")
@click.option("--scenarios", "root", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder whose **/*.toml files the app lists [default: ./scenarios, else "
                   "the repository's scenarios/].")
def command(port, host, scenario, root):
    """Serve the dashboard: run scenarios live and compare two variants in a browser.

    Pick a shipped scenario, set the levers (reward ladder, KOCs, content
    cadence, ads, horizon, people) and watch the charts while the model steps;
    the A/B view runs two variants with replications and shows 95% bands and
    their paired difference; daily metrics download as CSV or Parquet. The
    app reads scenario files only. Stop it with Ctrl-C. docs/dashboard.md
    describes it.

    \b
    Examples:
      growthsim dashboard
      growthsim dashboard --port 8800 --scenario scenarios/ladders/two_sided.toml
      growthsim dashboard --scenarios my_scenarios/
    """
    from growthsim.dashboard import assets_dir
    from growthsim.dashboard.state import default_root

    root = _check_root(root) if root is not None else default_root()
    if scenario is not None:
        _check_scenario(scenario)
    _check_port(host, port)
    env = dict(os.environ, GROWTHSIM_DASHBOARD_ROOT=str(root.resolve()),
               GROWTHSIM_DASHBOARD_SCENARIO=str(scenario.resolve()) if scenario else "")
    if "SOLARA_ASSETS_PROXY_CACHE_DIR" not in env and assets_dir().is_dir():
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets_dir())  # works without the CDN
    argv = [sys.executable, "-m", "solara", "run", "growthsim.dashboard.app", "--host", host,
            "--port", str(port), "--production", "--no-open", "--log-level", "warning"]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    click.echo(f"growthsim dashboard: {url} (scenarios from {root}; Ctrl-C to stop)")
    if host not in LOOPBACK:
        click.echo(f"growthsim dashboard: note: listening on {host}; anyone who can reach "
                   "it can run simulations on this machine", err=True)
    return _serve(argv, env)


def _check_root(root):
    from growthsim.cli import CliError

    if not root.is_dir():
        raise CliError(f"--scenarios {root}: no such folder")
    if not any(root.glob("**/*.toml")):
        raise CliError(f"--scenarios {root}: holds no .toml scenario files")
    return root


def _check_scenario(path):
    import growthsim as gs

    gs.load_scenario(path)  # a bad file is a one-line ScenarioError before anything starts


def _check_port(host, port):
    from growthsim.cli import CliError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CliError(f"--host {host}: not an address of this machine ({exc.strerror})") \
            from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind(address)
        except OSError as exc:
            raise CliError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                           "pick another port") from None


def _serve(argv, env):
    """Run the server until it ends; Ctrl-C (or SIGTERM) stops it and exits 130."""
    from growthsim.cli import EXIT_FAILED, Interrupted

    def terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    proc = subprocess.Popen(argv, env=env)
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        raise Interrupted("interrupted; dashboard stopped") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if rc != 0:
        click.echo(f"growthsim: dashboard: the server exited with status {rc}", err=True)
        return EXIT_FAILED
    return 0


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
