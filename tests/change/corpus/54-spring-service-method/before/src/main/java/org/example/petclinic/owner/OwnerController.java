package org.example.petclinic.owner;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/owners")
public class OwnerController {

    private final OwnerService ownerService;

    public OwnerController(OwnerService ownerService) {
        this.ownerService = ownerService;
    }

    @GetMapping
    public List<Owner> list(@RequestParam(required = false) String lastName) {
        return ownerService.findByLastName(lastName);
    }

    @GetMapping("/{ownerId}")
    public Owner show(@PathVariable int ownerId) {
        return ownerService.findById(ownerId);
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public Owner create(@RequestBody Owner owner) {
        return ownerService.save(owner);
    }

    @RequestMapping(value = "/{ownerId}", method = RequestMethod.DELETE)
    public void delete(@PathVariable int ownerId) {
        ownerService.delete(ownerId);
    }
}
