package tombstones

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spytrace/spytrace/internal/safetext"
)

// Crash is what a tombstone says, before file and clock details are added.
type Crash struct {
	Format           string
	BuildFingerprint string
	Revision         string
	Arch             string
	Timestamp        string // as written ("2024-03-14 10:00:00.123456789+0100")
	ProcessUptime    *int64
	CommandLine      []string
	PID, TID, UID    *int64
	ProcessName      string
	BinaryPath       string
	SELinuxLabel     string
	Signal           *SignalInfo
	FaultAddress     string
	Causes           []Cause
	AbortMessage     string
}

// Bounds on what one tombstone may hold.
const (
	maxLines       = 1 << 20 // text lines scanned
	maxLine        = 1 << 20 // bytes of one text line
	maxArgs        = 256     // command-line arguments kept
	maxCauses      = 64      // causes kept
	maxThreads     = 1 << 14 // threads scanned (protobuf)
	maxFields      = 1 << 22 // fields walked in one protobuf message
	maxStringBytes = 64 << 10
)

const delimiter = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"

// ParseText reads a text tombstone: "Key: value" lines at the start of a line (Build
// fingerprint, Revision, ABI, Timestamp, Process uptime, Cmdline, uid, Cause, Abort
// message), the first "pid: N, tid: N, name: X  >>> binary <<<" line (the crashing
// thread; later ones are the other threads) and the first "signal N (NAME), code N
// (NAME), fault addr X" line. Indented lines (registers, backtraces, memory) are skipped.
// It fails when the text has neither a pid line nor a build fingerprint.
func ParseText(data []byte) (*Crash, error) {
	c := &Crash{Format: FormatText}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	seenPID, seenSignal, seenFingerprint := false, false, false
	for n := 0; sc.Scan() && n < maxLines; n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == ' ' || line[0] == '\t' || strings.Contains(line, delimiter) {
			continue
		}
		if strings.HasPrefix(line, "pid: ") {
			if !seenPID {
				seenPID = true
				parsePIDLine(line, c)
			}
			continue
		}
		if strings.HasPrefix(line, "signal ") {
			if !seenSignal {
				seenSignal = true
				if s, fault, ok := parseSignalLine(line); ok {
					c.Signal, c.FaultAddress = s, fault
				}
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = text(strings.Trim(strings.TrimSpace(value), "'"))
		switch key {
		case "Build fingerprint":
			seenFingerprint = true
			c.BuildFingerprint = value
		case "Revision":
			c.Revision = value
		case "ABI":
			c.Arch = value
		case "Timestamp":
			c.Timestamp = value
		case "Process uptime":
			if v, err := strconv.ParseInt(strings.TrimSuffix(value, "s"), 10, 64); err == nil {
				c.ProcessUptime = &v
			}
		case "Cmdline":
			c.CommandLine = splitArgs(value)
		case "uid":
			if c.UID != nil {
				continue // the uid line of another thread
			}
			if v, err := strconv.ParseInt(value, 10, 64); err == nil {
				c.UID = &v
			}
		case "Cause":
			if len(c.Causes) < maxCauses {
				c.Causes = append(c.Causes, Cause{HumanReadable: value})
			}
		case "Abort message":
			c.AbortMessage = value
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return nil, err
	}
	if !seenPID && !seenFingerprint {
		return nil, errors.New("not a tombstone: no pid line and no build fingerprint")
	}
	return c, nil
}

// splitArgs splits the Cmdline value, written as the arguments joined by spaces.
func splitArgs(s string) []string {
	f := strings.Fields(s)
	if len(f) > maxArgs {
		f = f[:maxArgs]
	}
	return f
}

// parsePIDLine reads "pid: 25541, tid: 21307, name: mtk.ape.decoder  >>> /vendor/bin/x <<<".
// The name is everything after "name: " up to ">>>", so a name holding commas is kept.
func parsePIDLine(line string, c *Crash) {
	info, binary, hasBinary := strings.Cut(line, ">>>")
	if hasBinary {
		binary = strings.TrimSpace(binary)
		binary = strings.TrimSpace(strings.TrimSuffix(binary, "<<<"))
		c.BinaryPath = text(binary)
	}
	if before, name, ok := strings.Cut(info, "name:"); ok {
		c.ProcessName = text(strings.TrimSpace(name))
		info = before
	}
	for part := range strings.SplitSeq(info, ",") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		switch strings.TrimSpace(k) {
		case "pid":
			c.PID = &n
		case "tid":
			c.TID = &n
		}
	}
}

// parseSignalLine reads "signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0";
// the code's name may carry the sender ("SI_USER from pid 1, uid 0"), which is cut off.
func parseSignalLine(line string) (*SignalInfo, string, bool) {
	rest := strings.TrimPrefix(line, "signal ")
	num, name, rest, ok := numberAndName(rest)
	if !ok {
		return nil, "", false
	}
	s := &SignalInfo{Number: &num, Name: name}
	rest = strings.TrimLeft(rest, ", ")
	if r, found := strings.CutPrefix(rest, "code "); found {
		code, codeName, r2, ok := numberAndName(r)
		if ok {
			s.Code = code
			if before, _, found := strings.Cut(codeName, " from "); found {
				codeName = before
			}
			s.CodeName = codeName
			rest = r2
		}
	}
	fault := ""
	if _, f, found := strings.Cut(rest, "fault addr "); found {
		f = strings.TrimSpace(f)
		if f != "" && strings.Trim(f, "-") != "" {
			fault = text(f)
		}
	}
	if s.Name == "" {
		s.Name = "UNKNOWN"
	}
	if s.CodeName == "" {
		s.CodeName = "UNKNOWN"
	}
	return s, fault, true
}

// numberAndName reads "11 (SIGSEGV)" at the start of s and returns what follows.
func numberAndName(s string) (int64, string, string, bool) {
	end := 0
	for end < len(s) && (s[end] == '-' && end == 0 || s[end] >= '0' && s[end] <= '9') {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0, "", s, false
	}
	s = strings.TrimLeft(s[end:], " ")
	if !strings.HasPrefix(s, "(") {
		return n, "", s, true
	}
	depth, i := 0, 0
	for i = 0; i < len(s); i++ {
		if s[i] == '(' {
			depth++
		} else if s[i] == ')' {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	if i >= len(s) {
		return n, text(s[1:]), "", true
	}
	return n, text(s[1:i]), s[i+1:], true
}

func text(s string) string {
	if len(s) > maxStringBytes {
		s = s[:maxStringBytes]
	}
	return safetext.EscapeInvalid(s)
}

// Architecture names of tombstone.proto's enum, written as the text tombstone's ABI
// line writes them.
var archNames = map[uint64]string{0: "arm", 1: "arm64", 2: "x86", 3: "x86_64", 4: "riscv64", 5: "none"}

// Field numbers of AOSP system/core/debuggerd/proto/tombstone.proto.
const (
	fArch             = 1
	fBuildFingerprint = 2
	fRevision         = 3
	fTimestamp        = 4
	fPID              = 5
	fTID              = 6
	fUID              = 7
	fSELinuxLabel     = 8
	fCommandLine      = 9 // "string process_name = 9" in Android 12's first version
	fSignalInfo       = 10
	fAbortMessage     = 14
	fCauses           = 15 // "Cause cause = 15" (one) in Android 12's first version
	fThreads          = 16 // map<uint32, Thread>
	fProcessUptime    = 20
)

// ParseProto decodes a protobuf tombstone (Android 12 and later, tombstone_NN.pb). Only
// the fields listed above are read; every other field, known or not, is skipped. The
// process name is the name of the thread whose id is the crashing tid, as MVT takes it.
func ParseProto(data []byte) (*Crash, error) {
	c := &Crash{Format: FormatProtobuf}
	type thread struct {
		id   int64
		name string
	}
	var threads []thread
	sawField := false
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		sawField = true
		switch {
		case typ == protowire.VarintType:
			n := int64(uint32(v))
			switch num {
			case fArch:
				if a, ok := archNames[v]; ok {
					c.Arch = a
				} else {
					c.Arch = "unknown (" + strconv.FormatUint(v, 10) + ")"
				}
			case fPID:
				c.PID = &n
			case fTID:
				c.TID = &n
			case fUID:
				c.UID = &n
			case fProcessUptime:
				c.ProcessUptime = &n
			}
		case typ == protowire.BytesType:
			switch num {
			case fBuildFingerprint:
				c.BuildFingerprint = text(string(b))
			case fRevision:
				c.Revision = text(string(b))
			case fTimestamp:
				c.Timestamp = text(string(b))
			case fSELinuxLabel:
				c.SELinuxLabel = text(string(b))
			case fCommandLine:
				if len(c.CommandLine) < maxArgs {
					c.CommandLine = append(c.CommandLine, text(string(b)))
				}
			case fAbortMessage:
				c.AbortMessage = text(string(b))
			case fSignalInfo:
				s, fault, err := parseSignal(b)
				if err != nil {
					return fmt.Errorf("signal_info: %w", err)
				}
				c.Signal, c.FaultAddress = s, fault
			case fCauses:
				if len(c.Causes) < maxCauses {
					cause, err := parseCause(b)
					if err != nil {
						return fmt.Errorf("causes: %w", err)
					}
					c.Causes = append(c.Causes, cause)
				}
			case fThreads:
				if len(threads) < maxThreads {
					id, name, err := parseThreadEntry(b)
					if err != nil {
						return fmt.Errorf("threads: %w", err)
					}
					threads = append(threads, thread{id, name})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawField {
		return nil, errors.New("empty protobuf message")
	}
	if c.TID != nil {
		for _, t := range threads {
			if t.id == *c.TID && t.name != "" {
				c.ProcessName = t.name
				break
			}
		}
	}
	return c, nil
}

// walk calls fn for every field of a protobuf message: v is a varint or fixed value,
// b the bytes of a length-delimited field. Groups are skipped whole.
func walk(data []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for i := 0; len(data) > 0; i++ {
		if i >= maxFields {
			return errors.New("too many fields")
		}
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		data = data[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(data)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(data)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		data = data[n:]
		if err := fn(num, typ, v, b); err != nil {
			return err
		}
	}
	return nil
}

// parseSignal decodes a Signal message: number 1, name 2, code 3, code_name 4,
// has_fault_address 8, fault_address 9.
func parseSignal(data []byte) (*SignalInfo, string, error) {
	s := &SignalInfo{}
	hasFault := false
	var fault uint64
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case typ == protowire.VarintType && num == 1:
			n := int64(int32(v))
			s.Number = &n
		case typ == protowire.VarintType && num == 3:
			s.Code = int64(int32(v))
		case typ == protowire.VarintType && num == 8:
			hasFault = v != 0
		case typ == protowire.VarintType && num == 9:
			fault = v
		case typ == protowire.BytesType && num == 2:
			s.Name = text(string(b))
		case typ == protowire.BytesType && num == 4:
			s.CodeName = text(string(b))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	f := ""
	if hasFault {
		f = fmt.Sprintf("0x%x", fault)
	}
	return s, f, nil
}

// memoryErrorTools and memoryErrorTypes name MemoryError's enums.
var (
	memoryErrorTools = map[uint64]string{0: "GWP_ASAN", 1: "SCUDO"}
	memoryErrorTypes = map[uint64]string{0: "UNKNOWN", 1: "USE_AFTER_FREE", 2: "DOUBLE_FREE", 3: "INVALID_FREE", 4: "BUFFER_OVERFLOW", 5: "BUFFER_UNDERFLOW"}
)

// parseCause decodes a Cause: human_readable 1, memory_error 2 (tool 1, type 2).
func parseCause(data []byte) (Cause, error) {
	var c Cause
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case typ == protowire.BytesType && num == 1:
			c.HumanReadable = text(string(b))
		case typ == protowire.BytesType && num == 2:
			me := &MemoryError{Tool: memoryErrorTools[0], Type: memoryErrorTypes[0]}
			err := walk(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
				if typ != protowire.VarintType {
					return nil
				}
				switch num {
				case 1:
					me.Tool = enumName(memoryErrorTools, v)
				case 2:
					me.Type = enumName(memoryErrorTypes, v)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("memory_error: %w", err)
			}
			c.MemoryError = me
		}
		return nil
	})
	return c, err
}

func enumName(names map[uint64]string, v uint64) string {
	if n, ok := names[v]; ok {
		return n
	}
	return strconv.FormatUint(v, 10)
}

// parseThreadEntry decodes one entry of map<uint32, Thread> (key 1, value 2) and keeps
// the thread's id (Thread field 1, else the map key) and name (field 2).
func parseThreadEntry(data []byte) (int64, string, error) {
	var key, id int64
	hasID := false
	name := ""
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case typ == protowire.VarintType && num == 1:
			key = int64(uint32(v))
		case typ == protowire.BytesType && num == 2:
			return walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				switch {
				case typ == protowire.VarintType && num == 1:
					id, hasID = int64(int32(v)), true
				case typ == protowire.BytesType && num == 2:
					name = text(string(b))
				}
				return nil
			})
		}
		return nil
	})
	if !hasID {
		id = key
	}
	return id, name, err
}
