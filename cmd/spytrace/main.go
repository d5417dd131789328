// Command spytrace finds traces of mercenary spyware in phone acquisitions. See the
// README and "spytrace --help".
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spytrace/spytrace/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
