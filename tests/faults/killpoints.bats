#!/usr/bin/env bats
# berth SIGKILLed at every named step of each command (BERTH_FAULT_KILL_AT):
# after each kill, list and state still work and tell the truth, delete
# --force removes everything, and nothing of the container is left.

load faults

setup() { fault_setup; }
teardown() { common_teardown; }

@test "kill points: create" {
  kill_loop create prep_none create --bundle "$BUNDLE" @ID@
}

@test "kill points: start" {
  kill_loop start prep_created start @ID@
}

@test "kill points: run --detach" {
  kill_loop run prep_none run --detach --bundle "$BUNDLE" @ID@
}

@test "kill points: exec --detach" {
  kill_loop exec prep_running exec --detach @ID@ sh -c "sleep 1000; : @ID@"
}

@test "kill points: exec in the foreground" {
  kill_loop exec-fg prep_running exec @ID@ true
}

@test "kill points: kill" {
  kill_loop kill prep_running kill @ID@ KILL
}

@test "kill points: delete --force of a running container" {
  kill_loop delete-running prep_running delete --force @ID@
}

@test "kill points: delete of a stopped container" {
  kill_loop delete-stopped prep_stopped delete @ID@
}

@test "kill points: pause" {
  kill_loop pause prep_running pause @ID@
}

@test "kill points: resume" {
  kill_loop resume prep_paused resume @ID@
}

@test "kill points: update" {
  kill_loop update prep_running update --memory 256M --pids-limit 100 @ID@
}
