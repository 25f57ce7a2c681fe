package org.example.petclinic.vet;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class VetController {

    private final VetRepository vets;

    public VetController(VetRepository vets) {
        this.vets = vets;
    }

    @GetMapping("/api/vets")
    public List<Vet> list() {
        return vets.findAll();
    }
}
