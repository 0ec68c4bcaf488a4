"""What the app does to runs, each off the event loop: launch a preset's group (asking before
a download), cancel a run or a group (a group after a question), restart a stopped run.
A mixin of the app (its handlers receive the study panes' and run tables' messages)."""

from __future__ import annotations

from textual import work

from overfit_tui.core.data_files import is_available
from overfit_tui.core.errors import OverfitError
from overfit_tui.core.status import ACTIVE, Status
from overfit_tui.runs.launcher import cancel, launch, restart
from overfit_tui.ui.run_table import RunTable
from overfit_tui.ui.screens import ConfirmScreen
from overfit_tui.ui.study_pane import StudyPane


class RunActions:
    def on_study_pane_launch(self, msg: StudyPane.Launch) -> None:
        name = msg.group.data.name
        if is_available(name, self.data_dir):
            self._launch(msg, download=False)
            return

        def answer(choice: str | None) -> None:
            if choice == "download":
                self._launch(msg, download=True)

        self.push_screen(
            ConfirmScreen(
                f"{name} is not in {self.data_dir}.\nDownload it there now? "
                "(or quit and pass --data-dir DIR where it already is)",
                [("download", "Download"), ("cancel", "Cancel")],
            ),
            answer,
        )

    @work(thread=True, group="launch")
    def _launch(self, msg: StudyPane.Launch, download: bool) -> None:

        try:
            gid, _ = launch(
                self.store,
                msg.group,
                msg.preset.name,
                str(msg.preset.path),
                self.devices,
                data_dir=self.data_dir,
                download=download,
            )
        except OverfitError as e:
            self.call_from_thread(self.notify, str(e), severity="error")
            return
        self.call_from_thread(self.notify, f"launched {gid}")
        self.call_from_thread(self._after_launch, msg.pane, gid)

    def _after_launch(self, pane: StudyPane, gid: str) -> None:
        self.cache.want(gid)  # the feed brings its records at once (woken), then follows it
        pane.show_group(gid)

    def on_run_table_cancel(self, msg: RunTable.Cancel) -> None:
        if not msg.ref.startswith("group:"):
            self._cancel(msg.ref)
            return
        rec = self.record(msg.ref[6:])
        group = rec.group if rec else None
        active = [r for r in self.cache.runs(group=group) if r.status in ACTIVE] if group else []
        if not active:
            self.notify("nothing to cancel: no run of this group is queued or running")
            return

        def answer(choice: str | None) -> None:
            if choice == "cancel-group":
                self._cancel(group)

        self.push_screen(
            ConfirmScreen(
                f"Cancel {len(active)} queued or running run(s) of {group}?",
                [("back", "Keep them"), ("cancel-group", "Cancel them")],
            ),
            answer,
        )

    @work(thread=True, group="cancel")
    def _cancel(self, ref: str) -> None:

        n = len(cancel(self.store, ref))
        self.call_from_thread(
            self.notify, f"cancelling {n} run(s)" if n else "nothing to cancel: the run is not queued or running"
        )

    @work(thread=True, group="launch")
    def on_run_table_restart(self, msg: RunTable.Restart) -> None:

        rec = self.record(msg.run_id)
        if rec is not None and rec.status in (*ACTIVE, Status.FINISHED):
            self.call_from_thread(
                self.notify, "restart is for failed, diverged, cancelled or lost runs", severity="warning"
            )
            return
        try:
            gid = restart(self.store, msg.run_id, self.devices, self.data_dir)
        except OverfitError as e:
            self.call_from_thread(self.notify, str(e), severity="error")
            return
        self.call_from_thread(self.notify, f"restarted (as {gid}): listed with its group")
