package main

import (
	"net/http"

	"example.com/blog/internal/articles"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func main() {
	r := chi.NewRouter()
	r.Use(middleware.Logger)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("welcome"))
	})
	r.Mount("/articles", articles.Routes())
	r.Route("/admin", func(r chi.Router) {
		r.Use(adminOnly)
		r.Get("/stats", stats)
	})
	http.ListenAndServe(":3000", r)
}

func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Admin") != "yes" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func stats(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("{}"))
}
