package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// standInVersion is the version that /api/v1/health returns, so that a
// client can tell the stand-in from a Perses build.
const standInVersion = "0.54.0-stand-in"

// api serves the read part of the Perses v0.54.0 HTTP API for the kinds
// the stand-in implements, with Perses' status codes and error bodies.
type api struct {
	store  *fileStore
	logger *slog.Logger
}

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", a.health)

	mux.HandleFunc("GET /api/v1/projects", a.list("Project"))
	mux.HandleFunc("GET /api/v1/projects/{name}", a.get("Project"))
	mux.HandleFunc("GET /api/v1/globaldatasources", a.list("GlobalDatasource"))
	mux.HandleFunc("GET /api/v1/globaldatasources/{name}", a.get("GlobalDatasource"))

	for _, kind := range []string{"Dashboard", "Datasource"} {
		plural := servedKinds[kind].plural
		mux.HandleFunc("GET /api/v1/"+plural, a.list(kind))
		mux.HandleFunc("GET /api/v1/projects/{project}/"+plural, a.list(kind))
		mux.HandleFunc("GET /api/v1/projects/{project}/"+plural+"/{name}", a.get(kind))
	}

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	return a.logRequests(mux)
}

func (a *api) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"buildTime": "", "version": standInVersion, "commit": "", "database": true})
}

func (a *api) list(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		project := a.store.normalize(r.PathValue("project"))
		if !a.checkProject(w, project) {
			return
		}
		if queryProject := a.store.normalize(r.URL.Query().Get("project")); queryProject != "" {
			if err := validateName(queryProject); err != nil {
				writeError(w, http.StatusBadRequest, "the project name in the query parameter is invalid: "+err.Error())
				return
			}
			if project != "" && project != queryProject {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("the project name in the path (%s) and the project name in the query parameter (%s) are different", project, queryProject))
				return
			}
			project = queryProject
		}

		resources, err := a.store.list(kind, project, r.URL.Query().Get("name"))
		if err != nil {
			a.internalError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resources)
	}
}

func (a *api) get(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		project := a.store.normalize(r.PathValue("project"))
		if !a.checkProject(w, project) {
			return
		}
		res, err := a.store.get(kind, project, r.PathValue("name"))
		if errors.Is(err, errNotFound) {
			writeError(w, http.StatusNotFound, errNotFound.Error())
			return
		}
		if err != nil {
			a.internalError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// checkProject writes a 400 response for a request under a project that
// does not exist, as the project check of the Perses API does for GET
// requests, and returns whether the request may go on.
func (a *api) checkProject(w http.ResponseWriter, project string) bool {
	if project == "" {
		return true
	}
	_, err := a.store.get("Project", "", project)
	if errors.Is(err, errNotFound) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("metadata.project %q doesn't exist", project))
		return false
	}
	if err != nil {
		a.internalError(w, err)
		return false
	}
	return true
}

func (a *api) internalError(w http.ResponseWriter, err error) {
	a.logger.Error("request failed", "error", err)
	writeError(w, http.StatusInternalServerError, "internal server error")
}

func (a *api) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.logger.Debug("request", "method", r.Method, "path", r.URL.RequestURI())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "the stand-in serves only GET requests")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}
