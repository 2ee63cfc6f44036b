#!/usr/bin/env bats
# make install-cron / make install-systemd (./onboard --install-*), with
# fake crontab and systemctl (tests/fakes/system, on PATH only here).
load helpers

setup() {
	da_setup
	export PATH="$TESTS_DIR/fakes/system:$PATH"
	export HOME="$BATS_TEST_TMPDIR/user"
	export XDG_CONFIG_HOME="$HOME/.config"
	export FAKE_CRONTAB="$BATS_TEST_TMPDIR/crontab"
	export FAKE_SYSTEMCTL_LOG="$BATS_TEST_TMPDIR/systemctl.log"
	mkdir -p "$HOME"
	UNITS="$XDG_CONFIG_HOME/systemd/user"
}

@test "install-cron twice leaves exactly one line, next to the user's own" {
	echo "0 3 * * * /usr/bin/backup" >"$FAKE_CRONTAB"
	run "$REPO_ROOT/onboard" --install-cron
	[ "$status" -eq 0 ]
	[[ "$output" == "cron: installed"* ]]
	run "$REPO_ROOT/onboard" --install-cron
	[ "$status" -eq 0 ]
	[ "$output" = "cron: already installed" ]
	[ "$(grep -c 'da-process' "$FAKE_CRONTAB")" -eq 1 ]
	grep -qx "0 3 \* \* \* /usr/bin/backup" "$FAKE_CRONTAB"
	line=$(grep da-process "$FAKE_CRONTAB")
	[[ "$line" == "* * * * * DA_HOME=$DA_HOME DA_QUEUE=$DA_QUEUE PATH="*" --once >>$DA_HOME/data/cron.log 2>&1 # dev-agents: da-process"* ]]
}

@test "install-cron replaces an old copy with other paths instead of adding one" {
	run "$REPO_ROOT/onboard" --install-cron
	[ "$status" -eq 0 ]
	DA_QUEUE="$BATS_TEST_TMPDIR/other-queue" run "$REPO_ROOT/onboard" --install-cron
	[ "$status" -eq 0 ]
	[[ "$output" == "cron: installed"* ]]
	[ "$(grep -c 'da-process' "$FAKE_CRONTAB")" -eq 1 ]
	grep -q "DA_QUEUE=$BATS_TEST_TMPDIR/other-queue " "$FAKE_CRONTAB"
}

@test "install-cron via make" {
	run make -s -C "$REPO_ROOT" install-cron
	[ "$status" -eq 0 ]
	[ "$(grep -c 'da-process' "$FAKE_CRONTAB")" -eq 1 ]
}

@test "install-cron refuses a path cron would mangle, writing nothing" {
	DA_HOME="$BATS_TEST_TMPDIR/50%off" run --separate-stderr "$REPO_ROOT/onboard" --install-cron
	[ "$status" -eq 2 ]
	output=$stderr assert_one_error_line onboard
	[ ! -e "$FAKE_CRONTAB" ]
}

@test "install-systemd writes the units, reloads and enables the watch service once" {
	run "$REPO_ROOT/onboard" --install-systemd
	[ "$status" -eq 0 ]
	grep -qx "ExecStart=.*/da-process --watch" "$UNITS/dev-agents-process.service"
	grep -qx "Restart=on-failure" "$UNITS/dev-agents-process.service"
	grep -q "^Environment=DA_HOME=$DA_HOME DA_QUEUE=$DA_QUEUE " "$UNITS/dev-agents-process.service"
	grep -qx "Type=oneshot" "$UNITS/dev-agents-process-once.service"
	grep -qx "ExecStart=.*/da-process --once" "$UNITS/dev-agents-process-once.service"
	grep -qx "OnUnitActiveSec=1min" "$UNITS/dev-agents-process.timer"
	grep -qx "systemctl --user daemon-reload" "$FAKE_SYSTEMCTL_LOG"
	grep -qx "systemctl --user enable --now dev-agents-process.service" "$FAKE_SYSTEMCTL_LOG"
	: >"$FAKE_SYSTEMCTL_LOG"
	run "$REPO_ROOT/onboard" --install-systemd
	[ "$status" -eq 0 ]
	[[ "$output" == *"dev-agents-process.service already enabled"* ]]
	run ! grep -q "daemon-reload\|enable --now" "$FAKE_SYSTEMCTL_LOG"
}

@test "install-systemd --timer enables the timer instead" {
	run "$REPO_ROOT/onboard" --install-systemd --timer
	[ "$status" -eq 0 ]
	grep -qx "systemctl --user enable --now dev-agents-process.timer" "$FAKE_SYSTEMCTL_LOG"
	run ! grep -q "enable --now dev-agents-process.service" "$FAKE_SYSTEMCTL_LOG"
}

@test "install-systemd without a user manager writes units and says what to run" {
	FAKE_SYSTEMCTL_DOWN=1 run "$REPO_ROOT/onboard" --install-systemd
	[ "$status" -eq 0 ]
	[ -f "$UNITS/dev-agents-process.service" ]
	[[ "$output" == *"systemctl --user daemon-reload && systemctl --user enable --now dev-agents-process.service"* ]]
	run ! grep -q "enable" "$FAKE_SYSTEMCTL_LOG"
}
