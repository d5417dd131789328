package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/spytrace/spytrace/internal/acquire"
)

// OpenNested opens the zip that is the file name of parent (an androidqf collection's
// bugreport.zip, a zip of intrusion logs in a zip) as an acquisition of the given kind.
//
// When the opened file offers io.ReaderAt — a stored (uncompressed) entry of a zip
// opened by this package, a file of a folder — the nested zip is read in place;
// otherwise (a compressed entry) it is read into memory, up to Options.MaxNestedBytes.
// When parent is an *FS, the nested zip is one level deeper (at most Options.MaxDepth)
// and shares its parent's MaxTotalBytes count; a limit reached is also a Problem of the
// parent. Its Root is "<parent root>!/<name>". Close it before its parent.
func OpenNested(ctx context.Context, parent fs.FS, name string, kind acquire.Kind, opt Options) (*FS, error) {
	opt = opt.withDefaults()
	depth, bud, root := 1, (*budget)(nil), name
	pa, _ := parent.(*FS)
	if pa != nil {
		depth, bud, root = pa.depth+1, pa.budget, pa.root+"!/"+name
	} else if a, ok := parent.(acquire.Acquisition); ok {
		root = a.Root() + "!/" + name
	}
	if bud == nil {
		bud = &budget{max: opt.MaxTotalBytes}
	}
	fail := func(err error) (*FS, error) {
		if pa != nil && errorsIsLimit(err) {
			pa.problemOnce("nested:"+name, "limit_reached", name, fmt.Sprintf("the nested zip is not opened: %v", err))
		}
		return nil, fmt.Errorf("open nested zip %q: %w", name, err)
	}
	if depth > opt.MaxDepth {
		return fail(fmt.Errorf("%w: zips nested more than %d deep (Options.MaxDepth)", ErrLimit, opt.MaxDepth))
	}
	f, err := parent.Open(name)
	if err != nil {
		return fail(err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fail(fmt.Errorf("%w: not a regular file", ErrNotArchive))
	}
	var ra io.ReaderAt
	size := fi.Size()
	var closer io.Closer = f
	if r, ok := f.(io.ReaderAt); ok {
		ra = r
	} else {
		if size > opt.MaxNestedBytes {
			f.Close()
			return fail(fmt.Errorf("%w: the compressed nested zip is larger than %d bytes (Options.MaxNestedBytes), the most read into memory", ErrLimit, opt.MaxNestedBytes))
		}
		data, err := io.ReadAll(io.LimitReader(f, opt.MaxNestedBytes+1))
		f.Close()
		if err != nil {
			return fail(err)
		}
		if int64(len(data)) > opt.MaxNestedBytes {
			return fail(fmt.Errorf("%w: the compressed nested zip is larger than %d bytes (Options.MaxNestedBytes), the most read into memory", ErrLimit, opt.MaxNestedBytes))
		}
		ra, size, closer = bytes.NewReader(data), int64(len(data)), nil
	}
	if err := sniff(ra, size); err != nil {
		if closer != nil {
			closer.Close()
		}
		return fail(err)
	}
	a, err := openZip(ctx, ra, size, kind, root, opt, bud, depth)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return fail(err)
	}
	if closer != nil {
		a.extra = append(a.extra, closer)
	}
	return a, nil
}

func errorsIsLimit(err error) bool { return err != nil && errors.Is(err, ErrLimit) }
