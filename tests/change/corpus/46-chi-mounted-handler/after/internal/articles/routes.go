package articles

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
)

func Routes() chi.Router {
	r := chi.NewRouter()
	r.Get("/", listArticles)
	r.Route("/{articleID}", func(r chi.Router) {
		r.Get("/", getArticle)
		r.Put("/", updateArticle)
	})
	return r
}

func listArticles(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(All())
}

func getArticle(w http.ResponseWriter, r *http.Request) {
	a, err := Find(chi.URLParam(r, "articleID"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	json.NewEncoder(w).Encode(a)
}

func updateArticle(w http.ResponseWriter, r *http.Request) {
	var a Article
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.ID = chi.URLParam(r, "articleID")
	Save(a)
	w.WriteHeader(http.StatusNoContent)
}
