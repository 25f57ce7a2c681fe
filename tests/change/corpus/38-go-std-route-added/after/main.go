package main

import (
	"log"
	"net/http"
	"time"
)

func main() {
	store := NewStore()
	h := &Handler{store: store}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", h.listItems)
	mux.HandleFunc("GET /items/{id}", h.getItem)
	mux.HandleFunc("POST /items", h.createItem)
	mux.HandleFunc("DELETE /items/{id}", h.deleteItem)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})

	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
