package main

import (
	"reflect"
	"testing"
)

func TestApplyEnv(t *testing.T) {
	props := map[string]string{"group.id": "a"}
	applyEnv(props, []string{"GONNECT_GROUP_ID=b", "GONNECT_REST_ADVERTISED_HOST_NAME=w1", "GONNECT_LOG_LEVEL=DEBUG", "GONNECT_STACK_DIR=/srv/stack", "GONNECT_PPROF=:6060", "HOME=/root"})
	want := map[string]string{"group.id": "b", "rest.advertised.host.name": "w1"}
	if !reflect.DeepEqual(props, want) {
		t.Fatalf("props = %v, want %v", props, want)
	}
}
