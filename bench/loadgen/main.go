// Command loadgen sends HTTP GET requests from N concurrent keep-alive clients
// and prints each request's latency, so that bench/api_search.py measures the
// server rather than a Python client competing with it for the same two cores.
//
// Input (stdin, JSON): {"base": "http://127.0.0.1:8000", "clients": 16,
// "per_client": 50, "headers": {"Authorization": "Bearer …"},
// "paths": ["/api/search?q=…", …]}. Client c sends paths[(c*per_client+i) % len]
// for i < per_client, like bench/api_search.py's run_clients. With "warmup": W (and
// optionally "warmup_paths"), each client first sends W requests that are not timed,
// warmup_paths[(c*W+i) % len] (default: paths), and the clock starts once every
// client is done with them: connections made, the server's workers evened out.
// Output (stdout, JSON): {"latencies_ms": […], "wall_s": …, "errors": n, "first_error": "…"}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

type job struct {
	Base      string            `json:"base"`
	Clients   int               `json:"clients"`
	PerClient int               `json:"per_client"`
	Headers   map[string]string `json:"headers"`
	Paths     []string          `json:"paths"`
	Warmup    int               `json:"warmup"`
	WarmPaths []string          `json:"warmup_paths"`
}

type result struct {
	LatenciesMs []float64 `json:"latencies_ms"`
	WallS       float64   `json:"wall_s"`
	Errors      int       `json:"errors"`
	FirstError  string    `json:"first_error"`
}

func main() {
	var j job
	if err := json.NewDecoder(os.Stdin).Decode(&j); err != nil || j.Clients < 1 || len(j.Paths) == 0 {
		fmt.Fprintln(os.Stderr, "loadgen: bad job on stdin:", err)
		os.Exit(2)
	}
	if len(j.WarmPaths) == 0 {
		j.WarmPaths = j.Paths
	}
	lat := make([][]float64, j.Clients)
	errs := make([]string, j.Clients)
	nerr := make([]int, j.Clients)
	var ready, warm, done sync.WaitGroup
	start, timed := make(chan struct{}), make(chan struct{})
	for c := 0; c < j.Clients; c++ {
		ready.Add(1)
		warm.Add(1)
		done.Add(1)
		go func(c int) {
			defer done.Done()
			// One connection per client, kept alive, as a browser tab or an API client does.
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			// One request; a failure is counted, and its message kept if it is the first.
			get := func(path string) {
				req, _ := http.NewRequest("GET", j.Base+path, nil)
				for k, v := range j.Headers {
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					nerr[c]++
					if errs[c] == "" {
						errs[c] = err.Error()
					}
				}
			}
			ready.Done()
			<-start
			for i := 0; i < j.Warmup; i++ {
				get(j.WarmPaths[(c*j.Warmup+i)%len(j.WarmPaths)])
			}
			warm.Done()
			<-timed
			for i := 0; i < j.PerClient; i++ {
				t := time.Now()
				get(j.Paths[(c*j.PerClient+i)%len(j.Paths)])
				lat[c] = append(lat[c], float64(time.Since(t).Microseconds())/1000)
			}
		}(c)
	}
	ready.Wait()
	close(start)
	warm.Wait()
	t0 := time.Now()
	close(timed)
	done.Wait()
	out := result{WallS: time.Since(t0).Seconds(), LatenciesMs: []float64{}}
	for c := range lat {
		out.LatenciesMs = append(out.LatenciesMs, lat[c]...)
		out.Errors += nerr[c]
		if out.FirstError == "" {
			out.FirstError = errs[c]
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
