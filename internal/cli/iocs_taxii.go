package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spytrace/spytrace/internal/appdirs"
	"github.com/spytrace/spytrace/internal/ioc"
	"github.com/spytrace/spytrace/internal/safetext"
	"github.com/spytrace/spytrace/internal/taxii"
)

// Environment variables holding TAXII credentials.
const (
	TAXIIPasswordEnv = "SPYTRACE_TAXII_PASSWORD"
	TAXIITokenEnv    = "SPYTRACE_TAXII_TOKEN"
)

const iocsPullTAXIILong = `Pulls STIX 2.1 objects from a collection of a TAXII 2.1 server (OpenCTI, MISP through
a TAXII bridge, medallion…) into a bundle in the indicators folder of spytrace's data
folder, where every check loads it.

URL is the server's discovery URL (https://host/taxii2/; a URL without path means
/taxii2/) or one of its API root URLs. Without --collection, the collections of every
API root are listed and nothing is pulled. With --collection ID (repeatable), each
collection's objects are fetched page by page (following "next" while "more" is true).

Pulls are incremental: the last X-TAXII-Date-Added-Last the server sent for a
collection is remembered in the indicators folder (file ` + taxii.StateFile + `), and the next
pull asks only for objects added after it (added_after). --full asks for everything;
--added-after TIME for objects added after TIME. Pulled objects are merged into the
collection's bundle (one file per server and collection); of two versions of an object
the one with the latest "modified" is kept. The new bundle must load as indicators
before it replaces the previous one, atomically: a failed pull, a malformed page or a
rejected bundle leaves the previous file as it was.

Authentication: HTTP basic with --user, the password read from --password-file, from
` + TAXIIPasswordEnv + `, or asked on the terminal (never given on the command line); or
a bearer token from --token-file or ` + TAXIITokenEnv + `.

Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured, or --proxy. TLS
certificates are always verified; --ca-file adds the certificate of a private
authority (a helpline's own OpenCTI).

Exit status: 0 every collection was pulled (or listed), 1 a collection could not be
pulled (the others still are), 2 bad usage.`

type taxiiConfig struct {
	Collections  []string
	User         string
	PasswordFile string
	TokenFile    string
	AddedAfter   string
	Full         bool
	Limit        int
	MaxPages     int
	MaxBytes     int64
	Timeout      time.Duration
	Proxy        string
	CAFile       string
}

func (e *env) iocsPullTAXIICommand() *cobra.Command {
	var cfg taxiiConfig
	c := &cobra.Command{
		Use:   "pull-taxii URL",
		Short: "Pull indicators from a TAXII 2.1 collection into the data folder",
		Long:  iocsPullTAXIILong,
		Example: `  # List the collections of a server
  spytrace iocs pull-taxii https://opencti.example.org/taxii2/ --token-file ~/.opencti-token

  # Pull one collection (again later: only what was added since)
  spytrace iocs pull-taxii https://opencti.example.org/taxii2/ --token-file ~/.opencti-token \
      --collection 91a7b528-80eb-42ed-a74d-c6fbd5a26116

  # Basic authentication, password from a file
  spytrace iocs pull-taxii https://cti.example.org/taxii2/ --user analyst --password-file pw.txt --collection mvt`,
		Args: exactArgs(1, "the URL of a TAXII 2.1 server"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.pullTAXII(cmd.Context(), args[0], cfg)
		},
	}
	f := c.Flags()
	f.StringArrayVar(&cfg.Collections, "collection", nil, "id of the collection to pull (repeatable); without it, list the collections")
	f.StringVar(&cfg.User, "user", "", "user name for HTTP basic authentication (password from --password-file, "+TAXIIPasswordEnv+" or the terminal)")
	f.StringVar(&cfg.PasswordFile, "password-file", "", "read the basic authentication password from this file (its first line)")
	f.StringVar(&cfg.TokenFile, "token-file", "", "read a bearer token from this file (its first line); or set "+TAXIITokenEnv)
	f.StringVar(&cfg.AddedAfter, "added-after", "", "pull only objects added after this time (RFC 3339, e.g. 2026-01-31T00:00:00Z) instead of since the last pull")
	f.BoolVar(&cfg.Full, "full", false, "pull every object of the collection, not only those added since the last pull")
	f.IntVar(&cfg.Limit, "limit", 1000, "objects asked for per page (the server may give fewer)")
	f.IntVar(&cfg.MaxPages, "max-pages", taxii.DefaultMaxPages, "stop with an error after this many pages")
	f.Int64Var(&cfg.MaxBytes, "max-bytes", taxii.DefaultMaxPullBytes, "stop with an error after this many bytes in all")
	f.DurationVar(&cfg.Timeout, "timeout", taxii.DefaultTimeout, "time allowed for each request, body included")
	f.StringVar(&cfg.Proxy, "proxy", "", "proxy URL for every request (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY)")
	f.StringVar(&cfg.CAFile, "ca-file", "", "PEM file of extra certificate authorities to trust (besides the system's)")
	return c
}

// taxiiOptions checks the flags and gathers the client options, credentials included.
func (e *env) taxiiOptions(cfg taxiiConfig, server *url.URL) (taxii.Options, error) {
	opts := taxii.Options{Timeout: cfg.Timeout}
	switch {
	case cfg.Timeout <= 0:
		return opts, usagef("--timeout must be positive")
	case cfg.Limit < 0 || cfg.MaxPages <= 0 || cfg.MaxBytes <= 0:
		return opts, usagef("--limit must not be negative, --max-pages and --max-bytes must be positive")
	case cfg.User != "" && cfg.TokenFile != "":
		return opts, usagef("give either --user (basic authentication) or --token-file (bearer token), not both")
	case cfg.PasswordFile != "" && cfg.User == "":
		return opts, usagef("--password-file needs --user")
	case cfg.Full && cfg.AddedAfter != "":
		return opts, usagef("give either --full or --added-after, not both")
	}
	if cfg.AddedAfter != "" {
		if _, err := taxii.ParseTime(cfg.AddedAfter); err != nil {
			return opts, usagef("--added-after %q: want an RFC 3339 time such as 2026-01-31T00:00:00Z", cfg.AddedAfter)
		}
	}
	if cfg.Proxy != "" {
		p, err := url.Parse(cfg.Proxy)
		if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "socks5") {
			return opts, usagef("--proxy %q: want http://host:port, https://host:port or socks5://host:port", cfg.Proxy)
		}
		opts.Proxy = p
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return opts, usageError{fmt.Errorf("--ca-file: %w", err)}
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return opts, usagef("--ca-file %s holds no PEM certificate", cfg.CAFile)
		}
		opts.RootCAs = pool
	}
	switch {
	case cfg.User != "":
		opts.User = cfg.User
		switch {
		case cfg.PasswordFile != "":
			pw, err := readPasswordFile(cfg.PasswordFile)
			if err != nil {
				return opts, usageError{err}
			}
			opts.Password = string(pw)
			clear(pw)
		case e.getenv(TAXIIPasswordEnv) != "":
			opts.Password = e.getenv(TAXIIPasswordEnv)
		case e.askPassword != nil:
			pw, err := e.askPassword("Password of " + cfg.User + " on the TAXII server: ")
			if err != nil {
				return opts, fmt.Errorf("read the password: %w", err)
			}
			opts.Password = string(pw)
			clear(pw)
		default:
			return opts, usagef("--user needs a password: give --password-file FILE or set %s (or run spytrace in a terminal to be asked)", TAXIIPasswordEnv)
		}
	case cfg.TokenFile != "":
		tok, err := readPasswordFile(cfg.TokenFile)
		if err != nil {
			return opts, usageError{fmt.Errorf("--token-file: %w", err)}
		}
		opts.Token = strings.TrimSpace(string(tok))
		clear(tok)
	case e.getenv(TAXIITokenEnv) != "":
		opts.Token = strings.TrimSpace(e.getenv(TAXIITokenEnv))
	}
	if (opts.User != "" || opts.Token != "") && server.Scheme != "https" {
		fmt.Fprintf(e.stderr, "spytrace: warning: credentials are sent to %s over plain http, readable on the way; prefer https\n", safetext.Terminal(server.Host))
	}
	return opts, nil
}

// taxiiAuthError turns a refusal into one clear error.
func taxiiAuthError(err error, opts taxii.Options) error {
	if !taxii.IsAuth(err) {
		return err
	}
	var se *taxii.StatusError
	errors.As(err, &se)
	switch {
	case opts.User != "":
		return fmt.Errorf("the TAXII server refused user %q and its password (HTTP %d at %s): check --user and the password", opts.User, se.Status, se.URL)
	case opts.Token != "":
		return fmt.Errorf("the TAXII server refused the bearer token (HTTP %d at %s): check --token-file or %s", se.Status, se.URL, TAXIITokenEnv)
	}
	return fmt.Errorf("the TAXII server needs credentials (HTTP %d at %s): give --user with --password-file (or %s), or --token-file (or %s)", se.Status, se.URL, TAXIIPasswordEnv, TAXIITokenEnv)
}

func (e *env) pullTAXII(ctx context.Context, raw string, cfg taxiiConfig) error {
	server, err := taxii.ParseServerURL(raw)
	if err != nil {
		return usageError{err}
	}
	opts, err := e.taxiiOptions(cfg, server)
	if err != nil {
		return err
	}
	dir, err := appdirs.IndicatorsDir(e.getenv, e.home)
	if err != nil {
		return err
	}
	client := taxii.New(opts)
	roots, err := client.APIRoots(ctx, server)
	if err != nil {
		return taxiiAuthError(err, opts)
	}
	if len(cfg.Collections) == 0 {
		return e.listTAXIICollections(ctx, client, roots, opts)
	}
	failed := 0
	for _, id := range cfg.Collections {
		err := e.pullTAXIICollection(ctx, client, server, roots, id, dir, cfg)
		if err == nil {
			continue
		}
		err = taxiiAuthError(err, opts)
		if len(cfg.Collections) == 1 {
			return err
		}
		failed++
		fmt.Fprintf(e.stdout, "FAILED  %s: %s; previous copy kept\n", safetext.Terminal(id), safetext.Terminal(err.Error()))
		if taxii.IsAuth(err) || ctx.Err() != nil {
			break
		}
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "spytrace: error: %d of %d collections could not be pulled (see above)\n", failed, len(cfg.Collections))
		return exitError{ExitError}
	}
	return nil
}

func (e *env) listTAXIICollections(ctx context.Context, client *taxii.Client, roots []*taxii.APIRoot, opts taxii.Options) error {
	total := 0
	for _, r := range roots {
		cols, err := client.Collections(ctx, r.URL)
		if err != nil {
			return taxiiAuthError(err, opts)
		}
		title := ""
		if r.Title != "" {
			title = " (" + safetext.Terminal(r.Title) + ")"
		}
		fmt.Fprintf(e.stdout, "API root %s%s, collections: %d\n", safetext.Terminal(r.URL.String()), title, len(cols))
		if len(cols) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ID\tREAD\tTITLE")
		for _, c := range cols {
			read := "no"
			if c.CanRead {
				read = "yes"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", safetext.Terminal(c.ID), read, safetext.Terminal(safetext.Truncate(c.Title, 80)))
		}
		tw.Flush()
		total += len(cols)
	}
	if total > 0 {
		fmt.Fprintln(e.stderr, "spytrace: hint: pull one with --collection ID")
	}
	return nil
}

func (e *env) pullTAXIICollection(ctx context.Context, client *taxii.Client, server *url.URL, roots []*taxii.APIRoot, id, dir string, cfg taxiiConfig) error {
	root, col, err := client.FindCollection(ctx, roots, id)
	if err != nil {
		return err
	}
	if col.Title != "" && !col.CanRead {
		fmt.Fprintf(e.stderr, "spytrace: warning: the server says collection %s cannot be read with these credentials; trying anyway\n", safetext.Terminal(id))
	}
	res, err := client.Pull(ctx, taxii.Request{
		Server: server, Root: root.URL, Collection: *col, Dir: dir,
		AddedAfter: cfg.AddedAfter, Full: cfg.Full, Now: e.now(),
		Page: taxii.PullOptions{Limit: cfg.Limit, MaxPages: cfg.MaxPages, MaxBytes: cfg.MaxBytes},
	})
	if err != nil {
		return err
	}
	name := safetext.Terminal(col.ID)
	if col.Title != "" {
		name = fmt.Sprintf("%q (%s)", safetext.Terminal(col.Title), name)
	}
	since := "everything"
	if res.AddedAfter != "" {
		since = "added after " + safetext.Terminal(res.AddedAfter)
	}
	p := res.Pulled
	fmt.Fprintf(e.stdout, "pulled   %s: %d objects (%s) in %d pages, %d bytes\n", name, len(p.Objects), since, p.Pages, p.Bytes)
	if m := res.Merged; m != nil {
		fmt.Fprintf(e.stdout, "written  %s: %d objects (%d new, %d updated, %d kept", m.Path, m.Objects, m.Added, m.Updated, m.Kept)
		if m.Older > 0 {
			fmt.Fprintf(e.stdout, ", %d older versions ignored", m.Older)
		}
		if m.Invalid > 0 {
			fmt.Fprintf(e.stdout, ", %d invalid objects dropped", m.Invalid)
		}
		fmt.Fprintf(e.stdout, "), %d indicators%s", m.Report.Indicators, taxiiKinds(m.Report.ByKind))
		if len(m.Warnings) > 0 {
			fmt.Fprintf(e.stdout, ", %d objects or patterns not usable", len(m.Warnings))
		}
		fmt.Fprintln(e.stdout)
	} else {
		fmt.Fprintf(e.stdout, "unchanged %s: nothing new\n", res.Source.File)
	}
	if res.Source.DateAddedLast != "" {
		fmt.Fprintf(e.stdout, "next pull: objects added after %s\n", safetext.Terminal(res.Source.DateAddedLast))
	} else {
		fmt.Fprintln(e.stdout, "next pull: everything again (the server sent no X-TAXII-Date-Added-Last)")
	}
	return nil
}

func taxiiKinds(by map[ioc.Kind]int) string {
	var parts []string
	for _, k := range ioc.Kinds {
		if by[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, by[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
