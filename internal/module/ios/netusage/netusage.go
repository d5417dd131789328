// Package netusage reads netusage.sqlite, where networkd (symptomsd) counts the network
// traffic of every process and app. It exists only in file-system dumps.
//
// The artifact is /private/var/networkd/netusage.sqlite on phones up to iOS 14 and
// /private/var/networkd/db/netusage.sqlite on later ones (names in a dump:
// private/var/networkd/netusage.sqlite and private/var/networkd/db/netusage.sqlite);
// both are read when present. It is the Core Data store of DataUsage.sqlite with the
// same model: ZPROCESS (ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP), ZLIVEUSAGE
// byte counters (ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT, ZHASPROCESS) and
// Z_PRIMARYKEY. Every date is Mac absolute time (seconds since 2001-01-01 UTC). Schema
// variants are those of DataUsage.sqlite: ZLIVEUSAGE with or without the Wi-Fi counters;
// each counter column is read only when present.
//
// It corresponds to MVT's Netusage module (NetBase) and reuses the datausage module's
// reader and checks, so it has the same records (MVT's keys), timeline events
// (first_usage, current_usage, live_usage), process and app-id indicator checks and
// deleted/missing-process heuristics, under the IDs netusage/deleted-process and
// netusage/missing-process (datausage.NewVariant), and the same fixes of MVT's bugs
// (see package datausage).
// The search for the program of each process without a bundle id (heuristic
// netusage/binary-not-found, MEDIUM) is datausage's: one pass over the dump's census
// for all the names, and only on dumps that hold the system volume.
package netusage

import (
	"github.com/spytrace/spytrace/internal/acquire"
	"github.com/spytrace/spytrace/internal/module/ios/datausage"
)

// Name is the module's slug.
const Name = "netusage"

// Paths are the artifact's names in a file-system dump.
var Paths = []string{
	"private/var/networkd/netusage.sqlite",
	"private/var/networkd/db/netusage.sqlite",
}

// New returns the module: datausage's reader and checks on netusage.sqlite, with the
// heuristics netusage/deleted-process and netusage/missing-process.
func New() *datausage.Module {
	return datausage.NewVariant(datausage.Variant{
		Name:        Name,
		Class:       "Netusage",
		Description: "Network usage per process (netusage.sqlite of networkd): processes first and last seen, deleted process records",
		Database:    "netusage.sqlite",
		Kinds:       []acquire.Kind{acquire.IOSFilesystem},
		Paths:       append([]string(nil), Paths...),
	})
}

// DeletedProcess and MissingProcess are the module's heuristics.
var DeletedProcess, MissingProcess = datausage.Heuristics(Name, "netusage.sqlite")

// BinaryNotFound is the heuristic of the search for process programs.
var BinaryNotFound = datausage.BinaryHeuristic(Name, "netusage.sqlite")
