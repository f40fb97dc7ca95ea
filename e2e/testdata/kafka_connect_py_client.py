"""Drives a worker with kafka-connect-py, a third-party Kafka Connect client
from PyPI, and fails (exit 1) on any unexpected answer.

Arguments: URL NAME TOPIC OUTFILE [USER:PASSWORD [CA_FILE]]: with
credentials, a client without them must be refused (401) first; CA_FILE
is the CA an https:// worker's certificate is checked against."""
import sys
import time

from kafka_connect import KafkaConnect
from requests.exceptions import HTTPError

url, name, topic, out = sys.argv[1:5]
auth = sys.argv[5] if len(sys.argv) > 5 else None
verify = sys.argv[6] if len(sys.argv) > 6 else True
if auth:
    try:
        KafkaConnect(url=url, ssl_verify=verify).list_connectors()
        raise AssertionError("a client without credentials was let in")
    except HTTPError as e:
        assert e.response.status_code == 401, e
        assert e.response.text == "User cannot access the resource.", e.response.text
    try:
        KafkaConnect(url=url, auth=auth.split(":")[0] + ":wrong", ssl_verify=verify).list_connectors()
        raise AssertionError("a client with a wrong password was let in")
    except HTTPError as e:
        assert e.response.status_code == 401, e
kc = KafkaConnect(url=url, auth=auth, ssl_verify=verify)

info = kc.get_cluster_info()
assert info["version"].startswith("4.3.1") and info["kafka_cluster_id"], info

plugins = [p["class"] for p in kc.list_connector_plugins()]
assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in plugins, plugins

cfg = {"connector.class": "FileStreamSink", "topics": topic, "file": out, "tasks.max": "2"}
res = kc.validate_connector_config("FileStreamSinkConnector", dict(cfg, name=name))
assert res["error_count"] == 0, [c["value"] for c in res["configs"] if c["value"]["errors"]]

created = kc.create_connector({"name": name, "config": cfg})
assert created["name"] == name and created["type"] == "sink", created

def status(name):
    # Right after a create the status is not written yet (404), in Apache
    # Connect as in gonnect.
    try:
        return kc.get_connector_status(name)
    except HTTPError as e:
        if e.response.status_code == 404:
            return {"connector": {"state": "UNASSIGNED"}, "tasks": []}
        raise


deadline = time.time() + 60
while True:
    st = status(name)
    if st["connector"]["state"] == "RUNNING" and len(st["tasks"]) == 2 and all(t["state"] == "RUNNING" for t in st["tasks"]):
        break
    assert time.time() < deadline, st
    time.sleep(0.5)

assert name in kc.list_connectors()
expanded = kc.list_connectors(expand="status")
assert expanded[name]["status"]["connector"]["state"] == "RUNNING", expanded
assert len(kc.list_connector_tasks(name)) == 2
assert kc.get_connector_task_status(name, 0)["state"] == "RUNNING"
assert kc.get_connector_config(name)["topics"] == topic

kc.update_connector(name, dict(cfg, **{"tasks.max": "1"}))
kc.pause_connector(name)
deadline = time.time() + 60
while status(name)["connector"]["state"] != "PAUSED":
    assert time.time() < deadline
    time.sleep(0.5)
kc.resume_connector(name)
# A restart right after a config change may meet the rebalance it caused:
# Connect answers 409 then too, and clients retry.
deadline = time.time() + 60
while True:
    try:
        kc.restart_connector(name, include_tasks=True)
        break
    except HTTPError as e:
        assert "409" in str(e) and time.time() < deadline, e
        time.sleep(0.5)
topics = kc.list_connector_topics(name)
assert name in topics, topics
kc.delete_connector(name)
assert name not in (kc.list_connectors() or [])  # the client returns None for an empty list
print("kafka-connect-py drove the worker successfully")
