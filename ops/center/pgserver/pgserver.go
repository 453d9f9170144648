// Package pgserver runs a throwaway PostgreSQL server: initdb into a
// directory, postgres on a free loopback port. The tests use it (through
// pgtest) and so does the demo (opscenter demo), when no database is
// configured. It is cgo-free.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a running PostgreSQL cluster owned by one test.
type Server struct {
	Dir  string // data directory
	Port int
	User string // database superuser created by initdb
	cmd  *exec.Cmd
	log  string
}

// DSN is a connection string for database db (postgres if empty).
func (s *Server) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", s.User, s.Port, db)
}

// BinDir finds the directory holding initdb and postgres. Debian installs
// them under /usr/lib/postgresql/<major>/bin, not on PATH; STOPLINE_PG_BIN
// overrides. The newest major version wins.
func BinDir() (string, error) {
	if d := os.Getenv("STOPLINE_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			d := filepath.Dir(r)
			if isExec(filepath.Join(d, "postgres")) {
				return d, nil
			}
		}
	}
	return "", errors.New("postgresql server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql, or set STOPLINE_PG_BIN)")
}

func major(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start initialises a cluster under tmp (an empty directory whose
// parents an unprivileged user can traverse when we are root) and starts
// it. Stop it with Stop.
func Start(ctx context.Context, tmp string) (*Server, error) {
	return start(ctx, tmp)
}

func start(ctx context.Context, tmp string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	// postgres refuses to run as root (CI runs as root): drop to an
	// unprivileged account for initdb and the server.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred, err = unprivileged()
		if err != nil {
			return nil, err
		}
		// The temp dir's parents must be traversable by that user.
		for d := tmp; d != "/" && d != "."; d = filepath.Dir(d) {
			fi, err := os.Stat(d)
			if err != nil {
				return nil, err
			}
			if fi.Mode().Perm()&0o001 == 0 {
				if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
					return nil, fmt.Errorf("make %s traversable: %w", d, err)
				}
			}
		}
	}
	dir := filepath.Join(tmp, "pgdata")
	sock := filepath.Join(tmp, "sock")
	for _, d := range []string{dir, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("chown %s: %w", d, err)
			}
		}
	}
	const superuser = "stopline"
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dir, "-U", superuser,
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = tmp
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	// The port is picked free then handed to postgres; another process may
	// grab it in between, so retry a few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{Dir: dir, Port: port, User: superuser, log: filepath.Join(tmp, "postgres.log")}
		if lastErr = s.run(ctx, bin, sock, cred); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

func (s *Server) run(ctx context.Context, bin, sock string, cred *syscall.Credential) error {
	logf, err := os.Create(s.log)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", s.Dir,
		"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-k", sock,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB", "-c", "max_connections=50")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = filepath.Dir(s.Dir)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			out, _ := os.ReadFile(s.log)
			return fmt.Errorf("postgres exited: %v: %s", err, out)
		case <-ctx.Done():
			cmd.Process.Kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		// Ready when it accepts TCP and the log says so.
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second); err == nil {
			c.Close()
			out, _ := os.ReadFile(s.log)
			if strings.Contains(string(out), "ready to accept connections") {
				s.cmd = cmd
				go func() { <-done }()
				return nil
			}
		}
	}
	cmd.Process.Kill()
	<-done
	out, _ := os.ReadFile(s.log)
	return fmt.Errorf("postgres not ready after 30s: %s", out)
}

// Stop shuts the server down fast (SIGINT) and waits for it.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	for i := 0; i < 200; i++ {
		if err := s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	return errors.New("postgres did not stop in 10s, killed")
}

// unprivileged finds an account postgres may run as when we are root.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	// No such account (minimal containers): any non-root id works for
	// postgres as long as it owns the data directory.
	return &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
