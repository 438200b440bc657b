package node

import (
	"fmt"
	"net/http"
	"time"

	"github.com/rs/cors"
)

// HTTPLimits bound what one client can take of the API. The zero value
// means the defaults below; tests shorten the timeouts.
type HTTPLimits struct {
	// ReadHeaderTimeout cuts off a client that sends its request line and
	// headers slowly (slowloris); ReadTimeout bounds reading a whole
	// request, body included.
	ReadHeaderTimeout time.Duration // default 5 s
	ReadTimeout       time.Duration // default 30 s
	// WriteTimeout bounds an answer (GET /v1/events lifts it for its
	// stream); IdleTimeout closes idle keep-alive connections.
	WriteTimeout time.Duration // default 60 s
	IdleTimeout  time.Duration // default 2 min
	// MaxHeaderBytes bounds the request line and headers together; more
	// gets 431.
	MaxHeaderBytes int // default 16 KiB
	// MaxEvals is how many POST /v1/eval run at once; one more gets 429.
	MaxEvals int // default 4
	// MaxConns bounds the open connections (event streams and idle
	// keep-alives included); more wait in the kernel's accept queue, so a
	// client opening sockets by the thousand cannot take the node's file
	// descriptors.
	MaxConns int // default 512
	// CORSOrigins lists the origins a browser may call the API from
	// ("*" for any). Empty: CORS is off, no Access-Control-* header is
	// sent, so a page on another origin cannot read the API.
	CORSOrigins []string
}

func (l HTTPLimits) withDefaults() HTTPLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 5*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 60*time.Second)
	def(&l.IdleTimeout, 2*time.Minute)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 16 << 10
	}
	if l.MaxEvals <= 0 {
		l.MaxEvals = 4
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 512
	}
	return l
}

// headerSlop is what net/http adds to http.Server.MaxHeaderBytes.
const headerSlop = 4096

// newHTTPServer is the API's server with the limits applied.
func newHTTPServer(h http.Handler, l HTTPLimits) *http.Server {
	if len(l.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: l.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Content-Type"},
		}).Handler(h)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		// net/http reads its MaxHeaderBytes plus 4 KiB of "bufio slop"
		// before it answers 431: take the slop off, so that the bound is
		// the one documented.
		MaxHeaderBytes: max(1, l.MaxHeaderBytes-headerSlop),
	}
}

// acquireEval takes one of the eval slots, or answers 429 and returns
// false when all are taken: an eval can run for a whole block's gas, and
// queueing them would let a flood of evals hold connections and memory.
func (n *Node) acquireEval(w http.ResponseWriter) bool {
	select {
	case n.evals <- struct{}{}:
		return true
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Errorf("too many evals at once (%d): retry later", cap(n.evals)))
		return false
	}
}

func (n *Node) releaseEval() { <-n.evals }
