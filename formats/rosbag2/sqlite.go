package rosbag2

import (
	"cmp"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"

	// The pure-Go SQLite driver (no cgo, so the binary still
	// cross-compiles); why this one: docs/sources.md.
	_ "modernc.org/sqlite"
)

// sqliteFile is an open .db3.
type sqliteFile struct {
	db      *sql.DB
	ids     map[int64]*Topic // topics.id -> topic (ids are per file)
	cols    []string         // topics columns
	msgComp int              // 1: metadata says MESSAGE, 0: unknown (sniff), -1: says not
	cut     bool             // a database cut short, read from a padded copy
}

func (s *sqliteFile) close() error { return s.db.Close() }

// sqliteURI is the URI of a database file opened in mode (ro, rwc), and
// immutable (SQLite then creates nothing beside it and ignores locks).
func sqliteURI(path, mode string, immutable bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	abs = filepath.ToSlash(abs)
	abs = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(abs)
	u := "file:" + abs + "?mode=" + mode
	if immutable {
		u += "&immutable=1"
	}
	return u, nil
}

// openSQLite opens a .db3 without writing beside it: immutable, unless a
// non-empty -wal file holds rows not yet in the database; then the
// database and its -wal are copied to the temporary folder and the copy is
// opened read-only.
func (b *Bag) openSQLite(f *File) error {
	head := make([]byte, 100)
	if fh, err := os.Open(f.open); err == nil {
		io.ReadFull(fh, head)
		fh.Close()
	}
	f.WAL = head[18] == 2 || head[19] == 2
	immutable := true
	if !f.FileCompressed {
		if st, err := os.Stat(f.Path + "-wal"); err == nil && st.Size() > 0 {
			dir, err := b.tempDir()
			if err != nil {
				return err
			}
			sub, err := os.MkdirTemp(dir, "wal-")
			if err != nil {
				return fmt.Errorf("rosbag2: %w", err)
			}
			cp := filepath.Join(sub, filepath.Base(f.Path))
			if err := copyFile(f.Path, cp); err != nil {
				return err
			}
			if err := copyFile(f.Path+"-wal", cp+"-wal"); err != nil {
				return err
			}
			f.open, immutable, f.RecoveredWAL = cp, false, true
		}
	}
	if !f.RecoveredWAL && cutShort(f.open, head) {
		s, err := b.openCut(f, head, fmt.Errorf("rosbag2: %s: database cut short, and the pages that remain cannot be read", f.name))
		if err != nil {
			return err
		}
		f.sq = s
		return nil
	}
	uri, err := sqliteURI(f.open, "ro", immutable)
	if err != nil {
		return fmt.Errorf("rosbag2: %s: %w", f.name, err)
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return fmt.Errorf("rosbag2: %s: %w", f.name, err)
	}
	db.SetMaxOpenConns(1)
	s := &sqliteFile{db: db, ids: map[int64]*Topic{}}
	if err := b.readSQLite(f, s); err != nil {
		db.Close()
		if f.RecoveredWAL {
			return err
		}
		s, err = b.openCut(f, head, err)
		if err != nil {
			return err
		}
	}
	f.sq = s
	if f.RecoveredWAL {
		b.warn(f.name, "", "", fmt.Sprintf("a write-ahead log (%s-wal) holds rows not yet in the database: read from a copy with them, %d messages in all", filepath.Base(f.Path), f.Messages))
	}
	return nil
}

// openCut opens a database cut short (a copy that ended early, a full
// disk): its header says how many pages it has, the file holds fewer. The
// file is copied to the temporary folder, padded with zero bytes to that
// size, and the copy is read: SQLite then reads every page that survived
// and stops, with an error that ends the file's reading with a warning, at
// the first missing one. err is the error of the plain open, returned when
// the file is not cut or the copy cannot be read either.
func (b *Bag) openCut(f *File, head []byte, err error) (*sqliteFile, error) {
	st, serr := os.Stat(f.open)
	if serr != nil || len(head) < 32 {
		return nil, err
	}
	pageSize := int64(binary.BigEndian.Uint16(head[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(head[28:32]))
	want := pageSize * pages
	if pageSize < 512 || pages == 0 || want <= st.Size() || want > 1<<40 {
		return nil, err
	}
	dir, terr := b.tempDir()
	if terr != nil {
		return nil, err
	}
	cp := filepath.Join(dir, "cut-"+filepath.Base(f.Path))
	if cerr := copyFile(f.open, cp); cerr != nil {
		return nil, err
	}
	if terr := os.Truncate(cp, want); terr != nil {
		return nil, err
	}
	uri, uerr := sqliteURI(cp, "ro", true)
	if uerr != nil {
		return nil, err
	}
	db, oerr := sql.Open("sqlite", uri)
	if oerr != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	s := &sqliteFile{db: db, ids: map[int64]*Topic{}}
	if rerr := b.readSQLite(f, s); rerr != nil {
		db.Close()
		return nil, err
	}
	f.open = cp
	s.cut = true
	b.lose(f.name, fmt.Sprintf("offset %d", st.Size()), "", fmt.Sprintf("database cut short (%d of the %d bytes its header gives): the rows on the pages that remain are read, the rest are lost", st.Size(), want), LostUnknown, true)
	return s, nil
}

// cutShort reports whether the database file is shorter than its header
// says: the in-header page count is valid when the version-valid-for
// number (bytes 92-95) equals the change counter (bytes 24-27).
func cutShort(path string, head []byte) bool {
	if len(head) < 100 || string(head[24:28]) != string(head[92:96]) {
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	pageSize := int64(binary.BigEndian.Uint16(head[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	return st.Size() < pageSize*int64(binary.BigEndian.Uint32(head[28:32]))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("rosbag2: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("rosbag2: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("rosbag2: copying %s: %w", src, err)
	}
	return out.Close()
}

// readSQLite reads a database's schema version, topics, definitions,
// metadata and counts.
func (b *Bag) readSQLite(f *File, s *sqliteFile) error {
	fail := func(what string, err error) error {
		return fmt.Errorf("rosbag2: %s: %s: %w", f.name, what, err)
	}
	tables := map[string]bool{}
	rows, err := s.db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return fail("reading the tables", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fail("reading the tables", err)
		}
		tables[n] = true
		f.Tables = append(f.Tables, n)
	}
	slices.Sort(f.Tables)
	if err := closeRows(rows); err != nil {
		return fail("reading the tables", err)
	}
	if !tables["topics"] || !tables["messages"] {
		return fmt.Errorf("rosbag2: %s: a SQLite database without the rosbag2 topics and messages tables", f.name)
	}
	// Columns of topics.
	rows, err = s.db.Query(`PRAGMA table_info(topics)`)
	if err != nil {
		return fail("reading the topics columns", err)
	}
	for rows.Next() {
		var (
			cid         int
			name, typ   string
			notnull, pk int
			dflt        sql.NullString
		)
		if err := rows.Scan(&cid, &name, &typ, &notnull, &dflt, &pk); err != nil {
			rows.Close()
			return fail("reading the topics columns", err)
		}
		s.cols = append(s.cols, name)
		f.TopicColumns = append(f.TopicColumns, name)
	}
	if err := closeRows(rows); err != nil {
		return fail("reading the topics columns", err)
	}
	hasQoS := slices.Contains(s.cols, "offered_qos_profiles")
	hasHash := slices.Contains(s.cols, "type_description_hash")
	// Schema version (read_db_schema_version's rule).
	switch {
	case tables["schema"]:
		if err := s.db.QueryRow(`SELECT schema_version FROM schema`).Scan(&f.SchemaVersion); err != nil {
			b.warn(f.name, "", "", "schema table unreadable: "+err.Error())
		}
		var distro sql.NullString
		if s.db.QueryRow(`SELECT ros_distro FROM schema`).Scan(&distro) == nil {
			f.ROSDistro = distro.String
		}
	case hasQoS:
		f.SchemaVersion = 2
	default:
		f.SchemaVersion = 1
	}
	// Message compression: metadata.yaml, else the metadata table, else
	// the blobs themselves tell.
	switch {
	case b.meta != nil && b.meta.Version >= 3:
		s.msgComp = -1
		if b.meta.messageCompressed() {
			s.msgComp = 1
		}
	case tables["metadata"]:
		var text string
		if err := s.db.QueryRow(`SELECT metadata FROM metadata ORDER BY id DESC LIMIT 1`).Scan(&text); err == nil {
			if m, _, err := ParseMetadata([]byte(text)); err == nil && m.Version >= 3 {
				s.msgComp = -1
				if m.messageCompressed() {
					s.msgComp = 1
				}
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			b.warn(f.name, "", "", "metadata table unreadable: "+err.Error())
		}
	}
	if tables["metadata"] {
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM metadata`).Scan(&f.MetadataRows); err != nil {
			b.warn(f.name, "", "", "metadata table unreadable: "+err.Error())
		}
	}
	f.MessageCompressed = s.msgComp == 1
	// Stored definitions (schema 4). Unreadable (a damaged file): the
	// topics fall back to the other definitions.
	defs := map[string][2]string{}
	if tables["message_definitions"] {
		if err := readDefinitions(s.db, defs); err != nil {
			b.warn(f.name, "", "", "message_definitions unreadable, the bag's definitions are not used: "+err.Error())
		}
	}
	// Topics.
	q := `SELECT id, name, type, serialization_format`
	if hasQoS {
		q += `, offered_qos_profiles`
	} else {
		q += `, ''`
	}
	if hasHash {
		q += `, type_description_hash`
	} else {
		q += `, ''`
	}
	rows, err = s.db.Query(q + ` FROM topics ORDER BY id`)
	if err != nil {
		return fail("reading the topics", err)
	}
	for rows.Next() {
		var (
			id                int64
			name, typ, format string
			qos, hash         sql.NullString
		)
		if err := rows.Scan(&id, &name, &typ, &format, &qos, &hash); err != nil {
			rows.Close()
			return fail("reading the topics", err)
		}
		t := b.topic(f.name, name, typ, format)
		s.ids[id] = t
		if f.TopicIDs == nil {
			f.TopicIDs = map[string]int64{}
		}
		f.TopicIDs[name] = id
		if t.OfferedQoS == "" {
			t.OfferedQoS = qos.String
		}
		if t.TypeDescriptionHash == "" {
			t.TypeDescriptionHash = hash.String
		}
		if d, ok := defs[typ]; ok && t.storedEnc == "" {
			t.DefinitionStored = true
			t.storedEnc, t.stored = d[0], []byte(d[1])
			if t.storedEnc == "" {
				t.storedEnc = "unknown"
			}
		}
	}
	if err := closeRows(rows); err != nil {
		return fail("reading the topics", err)
	}
	// Counts. A damaged file: the count is what could be read.
	if err := b.countSQLite(f, s); err != nil {
		b.warn(f.name, "", "", "counting the messages stopped: "+err.Error())
	}
	return nil
}

func readDefinitions(db *sql.DB, defs map[string][2]string) error {
	rows, err := db.Query(`SELECT topic_type, encoding, encoded_message_definition FROM message_definitions`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var typ, enc, text sql.NullString
		if err := rows.Scan(&typ, &enc, &text); err != nil {
			rows.Close()
			return err
		}
		defs[typ.String] = [2]string{enc.String, text.String}
	}
	return closeRows(rows)
}

func (b *Bag) countSQLite(f *File, s *sqliteFile) error {
	rows, err := s.db.Query(`SELECT topic_id, COUNT(*) FROM messages GROUP BY topic_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		f.Messages += n
		if t := s.ids[id]; t != nil {
			t.Count += n
		} else {
			b.lose(f.name, "", "", fmt.Sprintf("%d messages have topic_id %d, which no topic has: skipped", n, id), int(n), false)
		}
	}
	return closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// firstData returns the first message blob (log-time order) of a topic in
// the file, decompressed, or nil.
func (b *Bag) firstData(f *File, t *Topic) []byte {
	if f.sq == nil {
		return nil
	}
	for id, tt := range f.sq.ids {
		if tt != t {
			continue
		}
		var data []byte
		if f.sq.db.QueryRow(`SELECT data FROM messages WHERE topic_id = ? ORDER BY timestamp, id LIMIT 1`, id).Scan(&data) != nil {
			continue
		}
		if d, err := b.unpack(f, f.sq, data); err == nil {
			return d
		}
	}
	return nil
}

// unpack returns a message blob's CDR bytes: zstd-decompressed when the
// file's messages are compressed (or, with nothing saying, when the blob
// is a zstd frame: a CDR payload starts with 00, never with 28 B5 2F FD).
func (b *Bag) unpack(f *File, s *sqliteFile, data []byte) ([]byte, error) {
	compressed := s.msgComp == 1 || s.msgComp == 0 && len(data) >= 4 && data[0] == zstdMagic[0] && string(data[:4]) == string(zstdMagic)
	if !compressed {
		return data, nil
	}
	if !f.MessageCompressed {
		f.MessageCompressed = true
		b.warn(f.name, "", "", "message blobs are zstd frames though no metadata says so: decompressed")
	}
	if b.zdec == nil {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		b.zdec = d
	}
	return b.zdec.DecodeAll(data, nil)
}

// sqliteCursor reads a database's messages in timestamp order.
type sqliteCursor struct {
	b    *Bag
	f    *File
	rows *sql.Rows
	row  int64
	ts   int64
}

func (b *Bag) sqliteCursor(f *File) (cursor, error) {
	q := `SELECT id, topic_id, timestamp, data FROM messages`
	var args []any
	var where []string
	if b.opts.Start > 0 {
		where, args = append(where, `timestamp >= ?`), append(args, b.opts.Start)
	}
	if b.opts.End > 0 {
		where, args = append(where, `timestamp < ?`), append(args, b.opts.End)
	}
	if b.opts.Want != nil {
		var ids []string
		for id, t := range f.sq.ids {
			if b.wanted(t) {
				ids = append(ids, fmt.Sprint(id))
			}
		}
		if len(ids) == 0 {
			return &sqliteCursor{b: b, f: f}, nil
		}
		slices.Sort(ids)
		where = append(where, `topic_id IN (`+strings.Join(ids, ",")+`)`)
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.sq.cut {
		return b.salvage(f, q, args...), nil
	}
	rows, err := f.sq.db.Query(q+` ORDER BY timestamp, id`, args...)
	if err != nil {
		// A damaged file: its messages are lost, the other files' are not.
		b.lose(f.name, "", "", "reading the messages failed, none of this file's are read: "+err.Error(), int(f.Messages), true)
		return &sqliteCursor{b: b, f: f}, nil
	}
	return &sqliteCursor{b: b, f: f, rows: rows}, nil
}

func (c *sqliteCursor) next() (rawMsg, bool) {
	for c.rows != nil {
		if !c.rows.Next() {
			if err := c.rows.Err(); err != nil {
				c.b.lose(c.f.name, fmt.Sprintf("after row %d (log time %d)", c.row, c.ts), "", "reading stopped: "+err.Error()+": the messages after it in this file are lost", LostUnknown, true)
			}
			c.close()
			return rawMsg{}, false
		}
		var (
			id, tid, ts int64
			data        []byte
		)
		if err := c.rows.Scan(&id, &tid, &ts, &data); err != nil {
			c.b.lose(c.f.name, fmt.Sprintf("row %d", c.row), "", "message unreadable, skipped: "+err.Error(), 1, false)
			continue
		}
		c.row, c.ts = id, ts
		t := c.f.sq.ids[tid]
		if t == nil {
			continue // counted and warned about at open
		}
		d, err := c.b.unpack(c.f, c.f.sq, data)
		if err != nil {
			c.b.undecodable(fmt.Errorf("rosbag2: %s: row %d: topic %s: zstd: %w", c.f.name, id, t.Name, err))
			continue
		}
		return rawMsg{topic: t, logTime: ts, publishTime: ts, data: d, file: c.f, pos: id}, true
	}
	return rawMsg{}, false
}

func (c *sqliteCursor) close() {
	if c.rows != nil {
		c.rows.Close()
		c.rows = nil
	}
}

// salvage reads what it can of a database cut short: the rows through
// the timestamp index and the rows in rowid order (the table scan), each
// until the first missing page, which reach different pages. Their union
// is served in log-time order from memory.
func (b *Bag) salvage(f *File, q string, args ...any) cursor {
	got := map[int64]rawMsg{}
	indexed := q + ` ORDER BY timestamp, id`
	scan := strings.Replace(q, "FROM messages", "FROM messages NOT INDEXED", 1) + ` ORDER BY id`
	for _, query := range []string{indexed, scan} {
		rows, err := f.sq.db.Query(query, args...)
		if err != nil {
			continue
		}
		for rows.Next() {
			var (
				id, tid, ts int64
				data        []byte
			)
			if rows.Scan(&id, &tid, &ts, &data) != nil {
				break
			}
			if t := f.sq.ids[tid]; t != nil {
				got[id] = rawMsg{topic: t, logTime: ts, publishTime: ts, data: data, file: f, pos: id}
			}
		}
		rows.Close()
	}
	ms := make([]rawMsg, 0, len(got))
	for _, m := range got {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b rawMsg) int {
		if a.logTime != b.logTime {
			return cmp.Compare(a.logTime, b.logTime)
		}
		return cmp.Compare(a.pos, b.pos)
	})
	b.warn(f.name, "", "", fmt.Sprintf("%d messages salvaged from the pages that remain", len(ms)))
	return &memCursor{b: b, f: f, ms: ms}
}

// memCursor serves salvaged messages.
type memCursor struct {
	b  *Bag
	f  *File
	ms []rawMsg
}

func (c *memCursor) next() (rawMsg, bool) {
	for len(c.ms) > 0 {
		m := c.ms[0]
		c.ms = c.ms[1:]
		d, err := c.b.unpack(c.f, c.f.sq, m.data)
		if err != nil {
			c.b.undecodable(fmt.Errorf("rosbag2: %s: row %d: topic %s: zstd: %w", c.f.name, m.pos, m.topic.Name, err))
			continue
		}
		m.data = d
		return m, true
	}
	return rawMsg{}, false
}

func (c *memCursor) close() { c.ms = nil }
