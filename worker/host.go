package worker

import "os"

var osHostname = os.Hostname
